import { tmpdir } from "node:os";
import path from "node:path";

const port = Number(process.env.E2E_PORT ?? 3217);

export const E2E = {
  port,
  baseUrl: `http://127.0.0.1:${port}`,
  dataDir: path.join(tmpdir(), `arbiter-e2e-${port}`),
  admin: { email: "admin@e2e.test", password: "admin-password-e2e" },
  maxFailures: 3,
};
