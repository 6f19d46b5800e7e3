// Printing a page for the meeting: the run and its date at the top of every sheet, the page number
// at the bottom. The words are set as an @page rule of a constructed stylesheet (the pages allow
// no inline styles), so the browser repeats them on every printed sheet.

const sheet = new CSSStyleSheet();
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

function quoted(text) {
  return `"${String(text).replace(/["\\]/g, "\\$&").replace(/\n/g, " ")}"`;
}

/** Set the running head of the printed sheets, e.g. "Weekvoorstel WBB, run 3, planningsdatum 3 maart 2025". */
export function setRunningHead(text, printedOn) {
  sheet.replaceSync(
    `@page { @top-left { content: ${quoted(text)}; font: 9pt "DejaVu Sans", Arial, sans-serif; }` +
      ` @top-right { content: ${quoted(`afgedrukt ${printedOn}`)}; font: 9pt "DejaVu Sans", Arial, sans-serif; }` +
      ` @bottom-right { content: "pagina " counter(page) " van " counter(pages); font: 9pt "DejaVu Sans", Arial, sans-serif; } }`,
  );
}
