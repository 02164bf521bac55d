// The in-call panel view: the other person's badge and placeholder, the chat and call details panels, the quality chip, share and chat buttons, shortcuts, announcements.
//
// The details panel holds the safety code, devices, connection and shortcuts; the chat log's
// items are built by chat-message.ts. It owns those parts of <main class="app">, reports what
// the person does through callbacks, decides nothing.

import type { PeerState } from '../call/channel.ts';
import type { Quality } from '../call/quality.ts';
import type { DeviceOption, DeviceRole } from '../media/devices.ts';
import { chatMessageItem, type ShownMessage } from './chat-message.ts';
import { text } from './text.ts';

export type { ShownMessage };

export interface CallPanelsEvents {
  toggleMic(): void;
  toggleCamera(): void;
  toggleShare(): void;
  sendChat(body: string): void;
  chooseDevice(role: DeviceRole, id: string): void;
  /** A panel opened or closed (the chat's unread count resets when it opens). */
  panel(open: 'chat' | 'details' | null): void;
}

const $ = <T extends Element>(root: ParentNode, selector: string): T => {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

export class CallPanels {
  private readonly app: HTMLElement;
  private readonly remoteStatus: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly avatar: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly quality: HTMLElement;
  private readonly qualityWords: HTMLElement;
  private readonly shareButton: HTMLButtonElement;
  private readonly chatButton: HTMLButtonElement;
  private readonly moreButton: HTMLButtonElement;
  private readonly unread: HTMLElement;
  private readonly chatPanel: HTMLElement;
  private readonly chatLog: HTMLOListElement;
  private readonly chatEmpty: HTMLElement;
  private readonly chatInput: HTMLTextAreaElement;
  private readonly detailsPanel: HTMLElement;
  private readonly code: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly selects: Record<DeviceRole, HTMLSelectElement>;
  private openPanel: 'chat' | 'details' | null = null;

  constructor(root: HTMLElement, private readonly events: CallPanelsEvents) {
    this.app = root;
    this.remoteStatus = $(root, '[data-testid="remote-status"]');
    this.placeholder = $(root, '.remote-placeholder');
    this.avatar = $(root, '.remote-placeholder .avatar');
    this.announcer = $(root, '.announcer');
    this.quality = $(root, '.quality');
    this.qualityWords = $(root, '.quality-words');
    this.shareButton = $(root, '.share-screen');
    this.chatButton = $(root, '.chat-toggle');
    this.moreButton = $(root, '.more');
    this.unread = $(root, '.chat-toggle .unread');
    this.chatPanel = $(root, '.chat-panel');
    this.chatLog = $(root, '.chat-log');
    this.chatEmpty = $(root, '.chat-empty');
    this.chatInput = $(root, '.chat-input');
    this.detailsPanel = $(root, '.details-panel');
    this.code = $(root, '[data-testid="privacy-code"]');
    this.stats = $(root, '.stats');
    this.selects = {
      camera: $(root, '#camera-select'),
      microphone: $(root, '#microphone-select'),
      speaker: $(root, '#speaker-select'),
    };
    this.chatEmpty.textContent = text.chat.empty;
    this.code.textContent = text.code.waiting;

    this.shareButton.addEventListener('click', () => events.toggleShare());
    this.chatButton.addEventListener('click', () => this.toggle('chat'));
    this.moreButton.addEventListener('click', () => this.toggle('details'));
    for (const close of root.querySelectorAll('.panel-close')) close.addEventListener('click', () => this.show(null));
    $(root, '.chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.chatInput.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter is a new line (as in every chat app).
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.chatInput.addEventListener('input', () => this.fitInput());
    for (const [role, select] of Object.entries(this.selects) as [DeviceRole, HTMLSelectElement][]) {
      select.addEventListener('change', () => events.chooseDevice(role, select.value));
    }
    document.addEventListener('keydown', (e) => this.shortcut(e));
  }

  /** The other person's controls; null when nobody is there. `room` gives the placeholder its initial. */
  setRemoteState(state: PeerState | null, room: string): void {
    const words = state
      ? [state.muted && text.remote.muted, state.cameraOff && text.remote.cameraOff, state.sharing && text.remote.sharing].filter(Boolean).join(', ')
      : '';
    this.remoteStatus.textContent = words;
    this.remoteStatus.hidden = words === '';
    this.remoteStatus.classList.toggle('is-muted', !!state?.muted);
    const placeholder = !!state?.cameraOff && !state.sharing;
    this.placeholder.hidden = !placeholder;
    this.app.classList.toggle('remote-camera-off', placeholder);
    this.avatar.textContent = (Array.from(room.trim())[0] ?? '?').toLocaleUpperCase();
  }

  setCanShare(can: boolean): void {
    this.shareButton.hidden = !can;
  }

  setSharing(on: boolean): void {
    this.shareButton.setAttribute('aria-pressed', String(on));
    $(this.shareButton, '.control-label').textContent = on ? 'Stop sharing' : 'Share screen';
    this.shareButton.title = on ? 'Stop sharing (S)' : 'Share screen (S)';
    this.app.classList.toggle('sharing', on);
  }

  announce(message: string): void {
    // Cleared first so the same sentence twice is announced twice.
    this.announcer.textContent = '';
    requestAnimationFrame(() => (this.announcer.textContent = message));
  }

  get chatOpen(): boolean {
    return this.openPanel === 'chat';
  }

  addMessage(m: ShownMessage): void {
    const li = chatMessageItem(m);
    this.chatLog.append(li);
    this.chatEmpty.hidden = true;
    li.scrollIntoView({ block: 'end' });
  }

  /** Our messages up to n reached the other person. */
  markDelivered(n: number): void {
    for (const li of this.chatLog.querySelectorAll<HTMLElement>('.chat-message.mine')) {
      if (Number(li.dataset.n) > n) continue;
      li.classList.remove('pending');
      $<HTMLElement>(li, '.chat-pending').hidden = true;
    }
  }

  clearChat(): void {
    this.chatLog.replaceChildren();
    this.chatEmpty.hidden = false;
    this.setUnread(0);
  }

  setUnread(n: number): void {
    this.unread.textContent = n === 0 ? '' : n > 99 ? '99+' : String(n);
    this.unread.hidden = n === 0;
    // The name while messages wait, as one string (a visually hidden span beside the label
    // was read by Chromium as "Chat , 3 unread messages").
    if (n === 0) this.chatButton.removeAttribute('aria-label');
    else this.chatButton.setAttribute('aria-label', `${text.chat.label}${text.chat.unread(n)}`);
  }

  setCode(code: string | null): void {
    this.code.textContent = code ?? text.code.waiting;
    this.code.classList.toggle('pending', code === null);
  }

  setQuality(q: Quality | null): void {
    this.quality.hidden = !q;
    if (!q) return;
    this.quality.dataset.level = q.level;
    this.qualityWords.textContent = q.words || text.quality[q.level];
    const rows: [string, string][] = [
      ['Quality', q.words || text.quality[q.level]],
      ['Round trip', q.rttMs === null ? '—' : `${q.rttMs} ms`],
      ['Packets lost', q.lossPct === null ? '—' : `${q.lossPct} %`],
      ['Their picture', q.fps === null ? '—' : `${q.fps} frames/s`],
      ['Route', q.relayed === null ? '—' : q.relayed ? text.quality.relayed : text.quality.direct],
    ];
    this.stats.replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }),
    );
  }

  setDevices(role: DeviceRole, options: DeviceOption[] | null, selected: string | null): void {
    const select = this.selects[role];
    const hide = options === null;
    for (const el of this.app.querySelectorAll<HTMLElement>(`[for="${select.id}"], #${select.id}`)) el.hidden = hide;
    if (!options) return;
    select.replaceChildren(
      ...options.map((o) => {
        const opt = document.createElement('option');
        opt.value = o.id;
        opt.textContent = o.label;
        return opt;
      }),
    );
    if (selected) select.value = selected;
    select.disabled = options.length < 2;
  }

  /** Opens a panel (or none); one at a time. */
  show(panel: 'chat' | 'details' | null): void {
    const was = this.openPanel;
    this.openPanel = panel;
    this.chatPanel.hidden = panel !== 'chat';
    this.detailsPanel.hidden = panel !== 'details';
    this.chatButton.setAttribute('aria-expanded', String(panel === 'chat'));
    this.moreButton.setAttribute('aria-expanded', String(panel === 'details'));
    this.app.dataset.panel = panel ?? '';
    if (panel === 'chat') {
      this.chatInput.focus({ preventScroll: true });
      this.chatLog.lastElementChild?.scrollIntoView({ block: 'end' });
    } else if (panel === 'details') $<HTMLElement>(this.detailsPanel, '.panel-close').focus({ preventScroll: true });
    else if (was === 'chat') this.chatButton.focus({ preventScroll: true });
    else if (was === 'details') this.moreButton.focus({ preventScroll: true });
    if (was !== panel) this.events.panel(panel);
  }

  private toggle(panel: 'chat' | 'details'): void {
    this.show(this.openPanel === panel ? null : panel);
  }

  private submit(): void {
    const body = this.chatInput.value;
    if (body.trim() === '') return;
    this.events.sendChat(body);
    this.chatInput.value = '';
    this.fitInput();
  }

  private fitInput(): void {
    this.chatInput.style.height = 'auto';
    this.chatInput.style.height = `${Math.min(this.chatInput.scrollHeight + 2, 160)}px`;
  }

  /** M, V, C, S, D during a call (not while typing), Escape closes a panel. */
  private shortcut(e: KeyboardEvent): void {
    if (this.app.dataset.screen !== 'call' || e.defaultPrevented) return;
    if (e.key === 'Escape' && this.openPanel) {
      e.preventDefault();
      this.show(null);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const target = e.target as HTMLElement | null;
    if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
    const actions: Record<string, () => void> = {
      m: () => this.events.toggleMic(),
      v: () => this.events.toggleCamera(),
      c: () => this.toggle('chat'),
      d: () => this.toggle('details'),
      s: () => {
        if (!this.shareButton.hidden) this.events.toggleShare();
      },
    };
    const action = actions[e.key.toLowerCase()];
    if (!action) return;
    e.preventDefault();
    action();
  }
}
