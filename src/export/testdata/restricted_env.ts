/**
 * Run with `--allow-env=NOTHING` (no `--ignore-env`): builds a pipeline with
 * an OTLP exporter and prints how that failed, as JSON.
 * @module
 */
import { silentLogger } from "../../core/mod.ts";
import { platform } from "../../runtime/mod.ts";
import { exporterSchema, resourceSchema } from "../config.ts";
import { createExportPipeline } from "../pipeline.ts";

try {
  const p = createExportPipeline({
    exporters: [exporterSchema.parse({ type: "otlp", name: "collector" })],
    resource: resourceSchema.parse({}),
    platform,
    logger: silentLogger,
  });
  await p.stop();
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({ name: (err as Error).name, message: (err as Error).message }));
}
