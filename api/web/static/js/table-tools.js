// Tables a WBB member can search and sort: filters hide rows, a header button sorts by its column.
// Rows carry what they are filtered and sorted by as data attributes, so re-rendering a table
// (after a decision) keeps the chosen order.

/** Make the headers with data-sort buttons that sort the table's rows; keeps the order over re-renders. */
export function sortable(table) {
  for (const th of table.querySelectorAll("thead th[data-sort]")) {
    const label = th.textContent;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = label;
    button.addEventListener("click", () => {
      const ascending = !(table.dataset.sortKey === th.dataset.sort && table.dataset.sortDir === "asc");
      table.dataset.sortKey = th.dataset.sort;
      table.dataset.sortDir = ascending ? "asc" : "desc";
      table.dataset.sortType = th.dataset.sortType || "text";
      resort(table);
    });
    th.replaceChildren(button);
  }
}

/** Put the rows in the chosen order again (after the table was rendered anew). */
export function resort(table) {
  const key = table.dataset.sortKey;
  for (const th of table.querySelectorAll("thead th[data-sort]")) {
    if (th.dataset.sort === key) th.setAttribute("aria-sort", table.dataset.sortDir === "asc" ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
  if (!key) return;
  const body = table.tBodies[0];
  const numeric = table.dataset.sortType === "num";
  const sign = table.dataset.sortDir === "asc" ? 1 : -1;
  const value = (row) => row.dataset[key] || "";
  const rows = [...body.rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const order = numeric ? Number(x) - Number(y) : x.localeCompare(y, "nl");
    return sign * order || a.dataset.household.localeCompare(b.dataset.household, "nl");
  });
  body.append(...rows);
}

/** Show only the rows for which keep(row) holds; returns how many are shown. */
export function filterRows(table, keep) {
  let shown = 0;
  for (const row of table.tBodies[0].rows) {
    row.hidden = !keep(row);
    if (!row.hidden) shown += 1;
  }
  return shown;
}

/** The options of a filter list: "alle" and each value with its words, keeping the choice. */
export function fillOptions(select, allText, entries) {
  const chosen = select.value;
  const options = [new Option(allText, ""), ...entries.map(([value, text]) => new Option(text, value))];
  select.replaceChildren(...options);
  select.value = options.some((o) => o.value === chosen) ? chosen : "";
}

/** On a phone every table is read as cards: each cell carries its column's name (data-label),
 * which the stylesheet shows before the value. Cells are labelled whenever a table changes. */
export function labelCells(root = document) {
  const label = (table) => {
    const heads = [...(table.tHead?.rows[0]?.cells || [])].map((th) => th.textContent.trim());
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        [...row.cells].forEach((cell, i) => {
          if (heads[i] && cell.dataset.label !== heads[i]) cell.dataset.label = heads[i];
        });
      }
    }
  };
  const all = () => root.querySelectorAll("main table").forEach(label);
  new MutationObserver(all).observe(root.body, { childList: true, subtree: true });
  all();
}
