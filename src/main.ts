// The page's entry point: the app (src/app/app.ts) on <main class="app">, started at once.

import { App } from './app/app.ts';

void new App(document.querySelector<HTMLElement>('main.app')!).start();
