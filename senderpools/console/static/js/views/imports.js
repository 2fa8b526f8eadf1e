// What an import did, for both CSV flows (Senders → Import CSV, and a pool's Add senders): rows that
// failed or were skipped, each by its CSV line, and the failed rows as a CSV file to fix and import again.

import { failedRowsCsv } from "../csv.js";
import { downloadLink, fmt, h, mono } from "../dom.js";

const LISTED = 100; // rows listed on the page; the download has every one

/** A folded list of rows ({line, text, reason}) under `title`, open when short. */
export function rowList(title, rows, { open = rows.length <= 5 } = {}) {
  if (!rows.length) return null;
  const sorted = [...rows].sort((a, b) => a.line - b.line);
  return h(
    "details.review-problems",
    { open },
    h("summary", title),
    h(
      "ul",
      sorted.slice(0, LISTED).map((r) => h("li", h("span.line-no", `Line ${r.line}: `), mono(r.text || r.address || r.senderId || ""), ` ${r.reason}`)),
      sorted.length > LISTED ? h("li.muted", `…and ${fmt.number(sorted.length - LISTED)} more (all of them are in the failed-rows file).`) : null,
    ),
  );
}

/** The failed rows, listed by CSV line, with a download of them as CSV. */
export function failureReport(failed, title = null) {
  if (!failed.length) return null;
  return h(
    "div.import-failures",
    rowList(title || `${fmt.plural(failed.length, "row")} failed`, failed),
    h("p", downloadLink(`Download the ${fmt.plural(failed.length, "failed row")} (CSV)`, "failed-rows.csv", failedRowsCsv(failed))),
  );
}
