// Device choice (src/media/devices.ts): what to use when, and what is remembered.
import { describe, expect, it } from 'vitest';
import { loadChoice, optionsFor, pickDevice, saveChoice } from '../../src/media/devices.ts';

const dev = (kind: MediaDeviceKind, deviceId: string, label = '') => ({ kind, deviceId, label, groupId: '' }) as MediaDeviceInfo;

describe('choosing devices', () => {
  const devices = [dev('videoinput', 'cam1', 'Front'), dev('videoinput', 'cam2'), dev('audioinput', 'default', 'Default'), dev('audioinput', 'mic2', 'USB'), dev('audiooutput', 'spk1', 'Speakers')];

  it('lists each kind with a readable label', () => {
    expect(optionsFor(devices, 'camera')).toEqual([
      { id: 'cam1', label: 'Front' },
      { id: 'cam2', label: 'Camera 2' },
    ]);
    expect(optionsFor(devices, 'speaker')).toEqual([{ id: 'spk1', label: 'Speakers' }]);
  });

  it('keeps the device in use while it is there, falls back to the remembered one, then to the first', () => {
    const cams = optionsFor(devices, 'camera');
    expect(pickDevice(cams, 'cam2', 'cam1')).toBe('cam2');
    // cam3 was unplugged:
    expect(pickDevice(cams, 'cam3', 'cam2')).toBe('cam2');
    expect(pickDevice(cams, 'cam3', 'gone')).toBe('cam1');
    expect(pickDevice([], 'cam3', 'cam1')).toBeNull();
  });

  it('remembers the choice, and survives storage that holds garbage or refuses writes', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveChoice({ camera: 'cam2', microphone: 'mic2' }, storage);
    expect(loadChoice(storage)).toEqual({ camera: 'cam2', microphone: 'mic2' });
    store.set('duet.devices', '{not json');
    expect(loadChoice(storage)).toEqual({});
    expect(() => saveChoice({}, { setItem: () => { throw new Error('QuotaExceededError'); } })).not.toThrow();
  });
});
