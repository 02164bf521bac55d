// Constants the build (scripts/build.mjs) replaces at bundle time.

/** Where the local emulators listen, in builds made for `npm start` and `npm test`; null in deploy builds. */
declare const __EMULATORS__: { auth: number; firestore: number } | null;
