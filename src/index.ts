/** The Probot app `npm start` runs (`probot run ./lib/index.js`). */
import { empathyApp } from "./app.js";

export default empathyApp();
