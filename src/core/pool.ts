// ImagePool: a history of generated images, so the discriminators see older fakes too (Shrivastava et al.).
import { tf } from './tf.js';
import { Rng } from './rng.js';

/** An image pool's resumable state (getStateAsync / setState). */
export type PoolState = { images: { shape: number[]; data: Float32Array }[]; rng: [number, number, number, number] };

export class ImagePool {
  private images: tf.Tensor4D[] = [];

  constructor(readonly size = 50, private readonly rng: Rng = new Rng(0)) {}

  /**
   * Official semantics, image by image: while filling, store and return it; after that, with
   * probability ½ return a stored image and keep the new one in its place, else return the new one.
   */
  query(batch: tf.Tensor4D): tf.Tensor4D {
    if (this.size === 0) return batch.clone();
    const n = batch.shape[0];
    const out: tf.Tensor4D[] = [];
    for (let i = 0; i < n; i++) {
      const image = tf.keep(tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1]));
      if (this.images.length < this.size) {
        this.images.push(image);
        out.push(image.clone());
      } else if (this.rng.random() > 0.5) {
        const id = this.rng.int(this.size);
        out.push(this.images[id]);
        this.images[id] = image;
      } else {
        out.push(image);
      }
    }
    const result = n === 1 ? out[0].clone() : tf.concat(out, 0);
    for (const t of out) if (!this.images.includes(t)) t.dispose();
    return result;
  }

  get length(): number {
    return this.images.length;
  }

  /**
   * Stored images and RNG state, for resumable runs, read asynchronously (webgpu has no synchronous reads in a
   * worker or in Node; the one reader serves every backend).
   */
  async getStateAsync(): Promise<PoolState> {
    const images = await Promise.all(this.images.map(async (t) => ({ shape: t.shape.slice(), data: Float32Array.from(await t.data() as Float32Array) })));
    return { images, rng: this.rng.getState() };
  }

  setState(state: PoolState): void {
    this.clear();
    this.images = state.images.map((s) => tf.keep(tf.tensor4d(s.data, s.shape as [number, number, number, number])));
    this.rng.setState(state.rng);
  }

  clear(): void {
    for (const t of this.images) t.dispose();
    this.images = [];
  }
}
