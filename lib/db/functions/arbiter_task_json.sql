-- arbiter_task_json: current definition (created in drizzle/0005_next_task_function.sql).
CREATE OR REPLACE FUNCTION arbiter_task_json(p_comparison uuid, p_order jsonb, p_expires timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
  select json_build_object(
    'comparisonId', c.id,
    'prompt', p.messages,
    'responses', (select json_agg(json_build_object('id', r.id, 'text', r.text) order by o.ord)
                    from jsonb_array_elements_text(p_order) with ordinality as o(id, ord)
                    join responses r on r.id = o.id::uuid),
    'leaseExpiresAt', to_char(p_expires at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  from comparisons c join prompts p on p.id = c.prompt_id
  where c.id = p_comparison
$$;
