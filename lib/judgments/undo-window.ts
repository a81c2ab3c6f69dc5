/** How long after submitting an annotator may undo a judgment (the server enforces it; the screen shows it). */
export const UNDO_WINDOW_MS = 60_000;
