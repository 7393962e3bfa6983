// The CycleGAN model's names, declared once (as the official BaseModel subclass declares loss_names,
// visual_names and model_names in cycle_gan_model.py). Everything that lists losses, visuals or networks —
// the model, the trainer, the run folder, the report, the server and the browser page — imports them from
// here. This module imports nothing, so the page bundle can take it without pulling in TF.js or Node.

/** cycle_gan_model.py loss_names, in its order. */
export const LOSS_NAMES = ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** cycle_gan_model.py visual_names (A side, then B side); idt_B/idt_A only when the identity loss is on. */
export const VISUAL_NAMES = ['real_A', 'fake_B', 'rec_A', 'idt_B', 'real_B', 'fake_A', 'rec_B', 'idt_A'] as const;
export type VisualName = (typeof VISUAL_NAMES)[number];

/** The visuals shown for a run: the identity images only when --lambda_identity > 0 (as the official model). */
export function visualNames(identity: boolean): VisualName[] {
  return VISUAL_NAMES.filter((n) => identity || !n.startsWith('idt_'));
}

/** cycle_gan_model.py model_names at training time (the networks saved as <label>_net_<name>). */
export const MODEL_NAMES = ['G_A', 'G_B', 'D_A', 'D_B'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** One colour per loss (matplotlib's tab10 in loss order), shared by the report's loss.png and the live page. */
export const LOSS_COLORS: Record<LossName, string> = {
  D_A: '#1f77b4', G_A: '#ff7f0e', cycle_A: '#2ca02c', idt_A: '#d62728',
  D_B: '#9467bd', G_B: '#8c564b', cycle_B: '#e377c2', idt_B: '#7f7f7f',
};
