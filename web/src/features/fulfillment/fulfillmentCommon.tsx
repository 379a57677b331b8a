import { Tag } from 'antd';
import { optLabel, type T } from '../../i18n';

const WAVE_COLOR: Record<string, string> = { created: 'default', released: 'processing', picked: 'cyan', done: 'success' };
const SLOT_COLOR: Record<string, string> = {
  waiting: 'default',
  picking: 'processing',
  picked: 'orange',
  packed: 'cyan',
  shipped: 'success',
  no_wave: 'default',
};

export function WaveStatus({ t, status }: { t: T; status: string }) {
  return <Tag color={WAVE_COLOR[status]}>{optLabel(t, 'ful.wave', status)}</Tag>;
}

export function SlotStatus({ t, status }: { t: T; status: string | null | undefined }) {
  if (!status) return <>-</>;
  return <Tag color={SLOT_COLOR[status]}>{optLabel(t, 'ful.slot', status)}</Tag>;
}

/** Open a PDF the API renders (fetched with the bearer token) in a new tab. */
export async function openPdf(call: Promise<{ data?: Blob; response: Response }>): Promise<void> {
  const { data } = await call;
  const url = URL.createObjectURL(data as Blob);
  window.open(url, '_blank');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

let audio: AudioContext | null = null;

/** A loud, low buzz for a wrong scan (WebAudio; no sound file). */
export function buzz(): void {
  try {
    audio = audio ?? new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = 220;
    gain.gain.value = 0.4;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.45);
  } catch {
    // No audio device: the red alert is the cue.
  }
}

/** A short high beep for a good scan. */
export function beep(): void {
  try {
    audio = audio ?? new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 1320;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.08);
  } catch {
    // No audio device.
  }
}
