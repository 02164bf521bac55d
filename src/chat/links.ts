// Chat text with its links: split into plain text and http(s) links. The view turns
// the parts into text nodes and <a> elements; nothing is ever parsed as HTML.

export type TextPart = { text: string } | { text: string; href: string };

// Up to whitespace or characters that cannot be in a URL as people paste them.
const URL_LIKE = /\bhttps?:\/\/[^\s<>"'`]+/giu;
// Punctuation that ends a sentence rather than the link.
const TRAILING = /[.,;:!?)\]}»”’]+$/u;

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_LIKE)) {
    let raw = match[0];
    const trail = TRAILING.exec(raw);
    // Keep a closing parenthesis that closes one inside the link (Wikipedia style).
    if (trail && !(raw.includes('(') && trail[0] === ')')) raw = raw.slice(0, -trail[0].length);
    const href = safeHref(raw);
    if (!href) continue;
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** The link as an http(s) URL, or null for anything else (javascript:, data:, …). */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
