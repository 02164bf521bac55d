// One chat message as the chat log shows it: who and when, the text with its links, and the note that it is still on its way.
import type { ChatMessage } from '../call/channel.ts';
import { splitLinks } from '../chat/links.ts';
import { text } from './text.ts';

export interface ShownMessage extends ChatMessage {
  mine: boolean;
  /** Ours, not yet acknowledged by the other side. */
  pending?: boolean;
}

/** A message not delivered after this long says it is waiting for the connection. */
const PENDING_AFTER_MS = 1_500;

const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** The list item of the chat log for `m` (class `pending` until markDelivered removes it). */
export function chatMessageItem(m: ShownMessage): HTMLLIElement {
  const li = document.createElement('li');
  li.className = `chat-message ${m.mine ? 'mine' : 'theirs'}`;
  li.dataset.key = m.key;
  if (m.mine) li.dataset.n = String(m.n);
  const meta = document.createElement('p');
  meta.className = 'chat-meta';
  const who = document.createElement('span');
  who.textContent = m.mine ? text.chat.you : text.chat.them;
  const when = document.createElement('time');
  when.dateTime = new Date(m.at).toISOString();
  when.textContent = time.format(m.at);
  meta.append(who, ' · ', when);
  const body = document.createElement('p');
  body.className = 'chat-text';
  body.dir = 'auto';
  for (const part of splitLinks(m.text)) {
    if ('href' in part) {
      const a = document.createElement('a');
      a.href = part.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = part.text;
      body.append(a);
    } else body.append(part.text);
  }
  const note = document.createElement('p');
  note.className = 'chat-pending';
  note.textContent = text.chat.sending;
  // Shown only when delivery takes a while (the link is down), not as a flash on every message.
  note.hidden = true;
  if (m.pending) {
    li.classList.add('pending');
    setTimeout(() => (note.hidden = !li.classList.contains('pending')), PENDING_AFTER_MS);
  }
  li.append(meta, body, note);
  return li;
}
