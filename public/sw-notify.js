// Imported by the generated service worker (scripts/build.mjs): a tap on the "Someone joined"
// notification brings the call's tab back, or opens the app when it is gone.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((tabs) => {
      const tab = tabs.find((t) => 'focus' in t);
      return tab ? tab.focus() : self.clients.openWindow('/');
    }),
  );
});
