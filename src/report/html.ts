// Static HTML report pages (no scripts, relative image links) in the spirit of the official util/html.py:
// a title, optional header lines, then sections of labelled image rows.

export interface ReportImage {
  /** path relative to the page */
  src: string;
  label: string;
}
export interface ReportRow {
  images: ReportImage[];
  caption?: string;
}
export interface ReportSection {
  heading: string;
  rows: ReportRow[];
}
export interface ReportPage {
  title: string;
  /** lines of plain text shown under the title */
  info?: string[];
  /** a picture shown before the sections (e.g. the loss curves) */
  figure?: { src: string; alt: string };
  sections: ReportSection[];
  /** seconds; the browser reloads the page so a training run can be watched */
  refreshSeconds?: number;
  imageWidth?: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function escapeUrl(s: string): string {
  return s.split('/').map(encodeURIComponent).join('/');
}

export function renderPage(page: ReportPage): string {
  const w = page.imageWidth ?? 256;
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  if (page.refreshSeconds) out.push(`<meta http-equiv="refresh" content="${page.refreshSeconds}">`);
  out.push(`<title>${escapeHtml(page.title)}</title>`);
  out.push('<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td{padding:4px;text-align:center;vertical-align:top;font-size:12px}img{image-rendering:pixelated;border:1px solid #ccc}</style>');
  out.push('</head>', '<body>', `<h1>${escapeHtml(page.title)}</h1>`);
  for (const line of page.info ?? []) out.push(`<p>${escapeHtml(line)}</p>`);
  if (page.figure) out.push(`<p><img src="${escapeUrl(page.figure.src)}" alt="${escapeHtml(page.figure.alt)}" style="image-rendering:auto;max-width:100%"></p>`);
  for (const s of page.sections) {
    out.push(`<h3>${escapeHtml(s.heading)}</h3>`, '<table>');
    for (const r of s.rows) {
      out.push('<tr>');
      for (const im of r.images) {
        out.push(`<td><a href="${escapeUrl(im.src)}"><img src="${escapeUrl(im.src)}" width="${w}" alt="${escapeHtml(im.label)}"></a><br>${escapeHtml(im.label)}</td>`);
      }
      if (r.caption) out.push(`<td style="text-align:left">${escapeHtml(r.caption)}</td>`);
      out.push('</tr>');
    }
    out.push('</table>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
