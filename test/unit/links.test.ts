// Chat links (src/chat/links.ts): only http and https become links; everything else stays text.
import { describe, expect, it } from 'vitest';
import { safeHref, splitLinks } from '../../src/chat/links.ts';

describe('links in chat messages', () => {
  it('finds http and https links inside text, leaving sentence punctuation outside', () => {
    expect(splitLinks('see https://example.com/a?b=1, and http://x.org.')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ', and ' },
      { text: 'http://x.org', href: 'http://x.org/' },
      { text: '.' },
    ]);
  });

  it('keeps a closing parenthesis that belongs to the link', () => {
    expect(splitLinks('https://en.wikipedia.org/wiki/Duet_(music)')[0]).toEqual({
      text: 'https://en.wikipedia.org/wiki/Duet_(music)',
      href: 'https://en.wikipedia.org/wiki/Duet_(music)',
    });
  });

  it('never makes a link of other schemes or of markup', () => {
    expect(splitLinks('javascript:alert(1) data:text/html,x')).toEqual([{ text: 'javascript:alert(1) data:text/html,x' }]);
    expect(splitLinks('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('https://ok.example')).toBe('https://ok.example/');
  });

  it('stops a link at a quote or angle bracket', () => {
    expect(splitLinks('"https://a.example/x"<b>')).toEqual([{ text: '"' }, { text: 'https://a.example/x', href: 'https://a.example/x' }, { text: '"<b>' }]);
  });
});
