/** Entry of dist/watchdog.js: see hostWatchdog.ts. */
import { watchdogMain } from "./hostWatchdog";

watchdogMain(process.argv.slice(2));
