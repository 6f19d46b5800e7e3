// Prestatieafspraken on the Overzicht: per corporation the homes agreed for the peildatum's
// year beside offers, lets and persons moved in; the WBB sets an agreement in the form.

import { api } from "./api.js";
import { el, errorText, nf0, setStatus } from "./shell.js";

let shownYear = null;

/** The table of the year's agreements against realised (an empty year says so). */
export async function showAgreements(year) {
  shownYear = year;
  document.getElementById("afspraken-year").textContent = `in ${year}`;
  const report = await api.get(`/v1/prestatieafspraken?year=${year}`);
  const box = document.getElementById("afspraken");
  if (!report.rows.length) {
    box.replaceChildren(el("p", { class: "muted", text: `Nog geen afspraken of aanbiedingen in ${year}.` }));
    return;
  }
  const headers = ["Corporatie", "Gemeente", "Afgesproken woningen", "Aangeboden", "Verhuurd", "Personen verhuisd", "Nog te gaan"];
  const rows = report.rows.map((r) =>
    el(
      "tr",
      { "data-corporation": r.corporation },
      el("th", { scope: "row", text: r.corporation }),
      el("td", { text: r.municipality }),
      el("td", { class: "num", text: r.agreed === null ? "geen afspraak" : nf0.format(r.agreed) }),
      el("td", { class: "num", text: nf0.format(r.offered) }),
      el("td", { class: "num", text: nf0.format(r.let) }),
      el("td", { class: "num", text: nf0.format(r.persons) }),
      el("td", { class: "num", text: r.agreed === null ? "" : nf0.format(Math.max(r.agreed - r.let, 0)) }),
    ),
  );
  box.replaceChildren(
    el(
      "table",
      { id: "afspraken-table" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows),
    ),
  );
}

/** The WBB's form: the agreement of a corporation for the year shown, then the table again. */
export function agreementForm(me, reload) {
  const municipality = document.getElementById("afspraak-municipality");
  municipality.value = me.municipality || document.getElementById("target-municipality").value;
  if (me.municipality) municipality.readOnly = true;
  document.getElementById("afspraak-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("status");
    const corporation = document.getElementById("afspraak-corporation").value.trim();
    const homes = Number(document.getElementById("afspraak-homes").value);
    try {
      const path = `/v1/prestatieafspraken/${encodeURIComponent(municipality.value.trim())}/${encodeURIComponent(corporation)}/${shownYear}`;
      const saved = await api.put(path, { homes });
      await reload();
      setStatus(status, `Afspraak opgeslagen: ${saved.corporation} biedt in ${saved.year} ${nf0.format(saved.homes)} woningen aan.`, "ok");
    } catch (error) {
      setStatus(status, errorText(error), "error");
    }
  });
}
