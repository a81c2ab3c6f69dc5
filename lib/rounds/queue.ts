// The round queue is pg-boss (a maintained PostgreSQL-backed queue, DESIGN.md): the web
// app sends, any number of trainers on any machines work. One job = one round id.
export const ROUND_QUEUE = "rounds.run";
export type RoundJob = { roundId: string };

/** Trainers NOTIFY here (payload { roundId, type }) after each metrics write and phase change. */
export const ROUND_CHANNEL = "arbiter_round";
