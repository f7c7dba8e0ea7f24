// Starts every NHS.UK frontend component on the page (header menu, error summary focus, ...).
import { initAll } from "/frontend/nhsuk-frontend.min.js";

initAll();
