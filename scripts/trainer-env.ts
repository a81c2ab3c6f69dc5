// The trainer's environment under npm start: the web app's, less NEXTAUTH_SECRET, plus the
// key of the web app's requests to it (TRAINER_RPC_KEY, derived from the secret unless set).
// The secret signs sessions; a trainer that only scores and generates has no use for it,
// and one taken over should not be able to sign in as anyone.
import { trainerRpcKey } from "@/lib/models/internal-auth";

export function trainerEnvironment(webEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NEXTAUTH_SECRET, ...rest } = webEnv;
  const key = trainerRpcKey({ TRAINER_RPC_KEY: webEnv.TRAINER_RPC_KEY?.trim() || undefined, NEXTAUTH_SECRET: NEXTAUTH_SECRET?.trim() || undefined });
  return { ...rest, ...(key ? { TRAINER_RPC_KEY: key } : {}) } as NodeJS.ProcessEnv;
}
