// What a project bundle holds: the project's rows in each table, as a WHERE clause on the
// project's id, and the users they point at (without passwords or sessions). Leases,
// export and import records, tokens and sign-in data stay with the installation.
import { z } from "zod";

export const BUNDLE_FORMAT = "arbiter-project-bundle";

/**
 * The rows of each table that belong to project `p` (a uuid literal, checked by the caller).
 * `name` maps the tables the clauses read: an import checks a bundle's rows against the
 * same clauses over its temporary tables.
 */
export function bundleScope(p: string, name: (table: string) => string = (t) => t): Record<string, string> {
  const inProject = (table: string) => `select id from ${name(table)} where project_id = ${p}`;
  return {
    users: `id in (select created_by from ${name("projects")} where id = ${p}
      union select user_id from ${name("project_members")} where project_id = ${p}
      union select annotator_id from ${name("judgments")} where project_id = ${p}
      union select s.annotator_id from ${name("skips")} s join ${name("comparisons")} c on c.id = s.comparison_id where c.project_id = ${p}
      union select reserved_for_user from ${name("comparisons")} where project_id = ${p}
      union select requested_by from ${name("rounds")} where project_id = ${p})`,
    projects: `id = ${p}`,
    project_members: `project_id = ${p}`,
    rounds: `project_id = ${p}`,
    prompts: `project_id = ${p}`,
    responses: `prompt_id in (${inProject("prompts")})`,
    demonstrations: `project_id = ${p}`,
    comparisons: `project_id = ${p}`,
    comparison_responses: `comparison_id in (${inProject("comparisons")})`,
    judgments: `project_id = ${p}`,
    skips: `comparison_id in (${inProject("comparisons")})`,
    round_metrics: `round_id in (${inProject("rounds")})`,
    model_artifacts: `project_id = ${p}`,
  };
}

/** A user travels as who they are, not how they sign in. */
export const BUNDLE_USER_COLUMNS = ["id", "email", "name", "role", "disabled_at", "created_at"];

/** The project id as a SQL literal, after checking it is a uuid (COPY takes no parameters). */
export function projectLiteral(projectId: string): string {
  return `'${z.uuid().parse(projectId)}'::uuid`;
}
