// What a trainer's server (trainer/serve/score-server.ts) and the web app's client for it
// (trainer-client.ts) agree on beyond HTTP statuses.

/** `code` of a 404 answer: this trainer does not have the model's files; ask another. */
export const MODEL_NOT_HERE = "model_not_here";
