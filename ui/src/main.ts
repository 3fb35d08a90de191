// The web app's entry: wiring only (see weft-app.ts).
import { WeftApp } from './weft-app.js';

new WeftApp(document, window).start();
