/** The Probot app `npm start` runs (through main.ts; `probot run ./lib/index.js` runs it too). */
import { empathyApp } from "./app.js";

export default empathyApp();
