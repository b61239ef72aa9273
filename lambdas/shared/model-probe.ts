import { OnnxModel } from '../domain/inference/onnx-model.js';
import type { ModelProbe } from '../domain/kernel/context.js';

/** Checks that bytes open as a servable ONNX model, then frees the session. */
export const onnxModelProbe: ModelProbe = {
  async check(onnxBytes) {
    const model = await OnnxModel.load(onnxBytes);
    await model.release();
  },
};
