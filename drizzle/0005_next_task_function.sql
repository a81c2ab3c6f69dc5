-- Assignment in one round trip: arbiter_next_task runs the steps lib/tasks/next-task.ts
-- used to send one statement at a time (held lease, candidate under FOR UPDATE SKIP
-- LOCKED, recount, lease, content). Each statement of a plpgsql function takes a fresh
-- snapshot under READ COMMITTED, so the recount after the row lock still sees every
-- committed lease, as before. Returns the task as JSON, or null.
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
--> statement-breakpoint
CREATE OR REPLACE FUNCTION arbiter_next_task(
  p_project uuid,
  p_me uuid,
  p_group text,
  p_exclude uuid[],
  p_gold_first boolean,
  p_lease_seconds integer,
  p_max_leases integer,
  p_tries integer,
  p_scan_batch integer,
  p_max_batches integer
) RETURNS json
LANGUAGE plpgsql
-- keyed by ids through indexes: a plan made for the parameters buys nothing
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_held_count integer;
  v_held record;
  v_kind text;
  v_attempt integer;
  v_batch integer;
  v_size integer;
  v_offset integer;
  v_scanned integer;
  v_id uuid;
  v_free boolean;
  v_ids text[];
  v_order jsonb;
  v_expires timestamptz;
  v_passed uuid[] := coalesce(p_exclude, '{}');
BEGIN
  -- A lease this annotator already holds (a reload, a retried request) comes back first.
  select count(*) into v_held_count
    from task_leases l join comparisons c on c.id = l.comparison_id
    where l.annotator_id = p_me and c.project_id = p_project and l.expires_at > now();
  select l.comparison_id, l.shown_order, l.expires_at into v_held
    from task_leases l join comparisons c on c.id = l.comparison_id
    where l.annotator_id = p_me and c.project_id = p_project and l.expires_at > now()
      and not (l.comparison_id = any(v_passed))
    order by l.created_at limit 1;
  IF FOUND THEN
    RETURN arbiter_task_json(v_held.comparison_id, v_held.shown_order, v_held.expires_at);
  END IF;
  IF v_held_count >= p_max_leases THEN
    RETURN NULL;
  END IF;

  FOREACH v_kind IN ARRAY (CASE WHEN p_gold_first THEN ARRAY['gold', 'reserved', 'open'] ELSE ARRAY['reserved', 'open'] END) LOOP
    FOR v_attempt IN 1..p_tries LOOP
      v_id := NULL;
      IF v_kind = 'gold' THEN
        select c.id into v_id from comparisons c
          where c.project_id = p_project and c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
            and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = p_me)
            and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = p_me)
            and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now())
            and not (c.id = any(v_passed))
          order by c.created_at limit 1 for update of c skip locked;
      ELSIF v_kind = 'reserved' THEN
        select c.id into v_id from comparisons c
          where c.project_id = p_project and not c.is_gold
            and (c.reserved_for_user is not null or c.reserved_for_group is not null)
            and (c.reserved_for_user = p_me or c.reserved_for_group = p_group)
            and c.judgment_count < c.required
            and c.judgment_count + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required
            and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = p_me)
            and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = p_me)
            and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now())
            and not (c.id = any(v_passed))
          order by c.judgment_count desc nulls last, c.created_at limit 1 for update of c skip locked;
      ELSE
        -- Open comparisons in the partial index's order (fewest judgments left first), a
        -- batch at a time: one query over all of them would check every one before sorting.
        -- The first batch is smaller: usually one of its first rows is free for this annotator.
        v_offset := 0;
        FOR v_batch IN 0..p_max_batches - 1 LOOP
          v_size := CASE WHEN v_batch = 0 THEN least(64, p_scan_batch) ELSE p_scan_batch END;
          with batch as materialized (
            select c.id, c.judgment_count, c.created_at from comparisons c
            where c.project_id = p_project and c.judgment_count < c.required
              and not c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
            order by c.judgment_count desc nulls last, c.created_at
            limit v_size offset v_offset),
          pick as (
            select c.id from batch b join comparisons c on c.id = b.id
            where c.judgment_count + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required
              and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = p_me)
              and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = p_me)
              and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now())
              and not (c.id = any(v_passed))
            order by b.judgment_count desc nulls last, b.created_at
            limit 1 for update of c skip locked)
          -- the batch's size matters only when nothing in it was free
          select p.id, CASE WHEN p.id IS NULL THEN (select count(*)::int from batch) END
            into v_id, v_scanned from (select (select id from pick) as id) p;
          EXIT WHEN v_id IS NOT NULL OR v_scanned < v_size;
          v_offset := v_offset + v_size;
        END LOOP;
      END IF;
      EXIT WHEN v_id IS NULL; -- nothing of this kind: the next kind

      -- Recount under the row lock, in a new statement (a fresh snapshot).
      select c.is_gold or c.judgment_count
               + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required,
             array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position)
        into v_free, v_ids
        from comparisons c where c.id = v_id;
      IF NOT v_free THEN
        v_passed := v_passed || v_id;
        CONTINUE;
      END IF;
      -- a uniformly random display order per annotator (position bias stays measurable)
      select jsonb_agg(x order by random()) into v_order from unnest(v_ids) as x;
      v_expires := clock_timestamp() + make_interval(secs => p_lease_seconds);
      -- An expired lease of mine on this comparison is replaced, not duplicated.
      insert into task_leases (comparison_id, annotator_id, shown_order, expires_at) values (v_id, p_me, v_order, v_expires)
        on conflict (comparison_id, annotator_id) do update
        set shown_order = excluded.shown_order, expires_at = excluded.expires_at, created_at = now();
      RETURN arbiter_task_json(v_id, v_order, v_expires);
    END LOOP;
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- A judgment in one statement (lib/judgments/submit-judgment.ts validates the ranking
-- against the comparison before calling it): replay of a known clientId, the comparison
-- locked, the free-slot check, the judgment, its counter and the lease's release, and,
-- when asked, the caller's next task in the same transaction. Errors the caller maps to
-- API errors: AR404 (no such comparison), AR409 (no slot left, or the clientId belongs to
-- another judgment).
CREATE OR REPLACE FUNCTION arbiter_submit_judgment(
  p_comparison uuid,
  p_me uuid,
  p_client uuid,
  p_ranking jsonb,
  p_strength integer,
  p_both_bad boolean,
  p_criteria jsonb,
  p_rationale text,
  p_duration_ms integer,
  p_next boolean,
  p_group text,
  p_gold_first boolean,
  p_lease_seconds integer,
  p_max_leases integer,
  p_tries integer,
  p_scan_batch integer,
  p_max_batches integer
) RETURNS json
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_prev record;
  v_c record;
  v_lease jsonb;
  v_others integer;
  v_id uuid;
  v_created boolean := true;
BEGIN
  -- A retry of an acknowledged submit: same clientId → the same judgment, no second row.
  select j.id, j.annotator_id, j.comparison_id, j.project_id into v_prev from judgments j where j.client_id = p_client;
  IF FOUND THEN
    IF v_prev.annotator_id <> p_me OR v_prev.comparison_id <> p_comparison THEN
      RAISE EXCEPTION 'This clientId was already used for another judgment' USING ERRCODE = 'AR409';
    END IF;
    v_id := v_prev.id;
    v_created := false;
    select c.project_id, c.prompt_id into v_c from comparisons c where c.id = p_comparison;
  ELSE
    select c.id, c.project_id, c.is_gold, c.judgment_count, c.required,
        array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position) as response_ids
      into v_c from comparisons c where c.id = p_comparison for update of c;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'No such comparison' USING ERRCODE = 'AR404';
    END IF;
    select l.shown_order into v_lease from task_leases l where l.comparison_id = p_comparison and l.annotator_id = p_me and l.expires_at > now();
    select count(*)::int into v_others from task_leases l where l.comparison_id = p_comparison and l.annotator_id <> p_me and l.expires_at > now();
    IF v_lease IS NULL AND NOT v_c.is_gold AND v_c.judgment_count + v_others >= v_c.required THEN
      -- No live lease (it expired, or a script skipped tasks/next) and no free slot.
      RAISE EXCEPTION 'This comparison already has the judgments it needs (your lease expired)' USING ERRCODE = 'AR409';
    END IF;
    insert into judgments (client_id, comparison_id, project_id, annotator_id, ranking, strength, both_bad, criteria, rationale, shown_order, duration_ms)
      values (p_client, p_comparison, v_c.project_id, p_me, p_ranking, p_strength, p_both_bad, p_criteria, p_rationale,
              coalesce(v_lease, to_jsonb(v_c.response_ids)), p_duration_ms)
      returning id into v_id;
    delete from task_leases where comparison_id = p_comparison and annotator_id = p_me;
    update comparisons set judgment_count = judgment_count + 1 where id = p_comparison;
  END IF;
  RETURN json_build_object(
    'id', v_id,
    'created', v_created,
    'projectId', v_c.project_id,
    'next', CASE WHEN p_next THEN arbiter_next_task(v_c.project_id, p_me, p_group, '{}', p_gold_first, p_lease_seconds,
                                                   p_max_leases, p_tries, p_scan_batch, p_max_batches) END);
END
$$;
