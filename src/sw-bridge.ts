// The page's side of the service worker: register it, and offer (never force)
// a new version when one is waiting.

export interface ServiceWorkerHooks {
  onUpdateReady: () => void;
}

export function registerServiceWorker(hooks: ServiceWorkerHooks): void {
  if (!('serviceWorker' in navigator) || !__SW__) return;
  window.addEventListener('load', () => {
    navigator.serviceWorker
      .register('/sw.js')
      .then((registration) => {
        const offer = () => {
          if (registration.waiting && navigator.serviceWorker.controller) hooks.onUpdateReady();
        };
        offer();
        registration.addEventListener('updatefound', () => {
          registration.installing?.addEventListener('statechange', offer);
        });
      })
      .catch((e) => console.warn('Duet: service worker not registered', e));
  });
}
