-- arbiter_submit_judgment: current definition (drizzle/0017_undone_judgments.sql).
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
  p_tries integer
) RETURNS json
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_c record;
  v_lease jsonb;
  v_others integer;
  v_id uuid;
  v_created boolean := true;
  v_undone boolean := false;
  v_project uuid;
  v_group text;
BEGIN
  -- The usual case, in one statement: the annotator holds a live lease on the comparison
  -- (their slot) and the clientId is new (neither written nor undone: 0017). The counter's UPDATE takes the row lock. A
  -- concurrent second submit of the same comparison by the same annotator waits on that
  -- lock and then fails on judgments_comparison_annotator_key (or on client_id, for the
  -- same clientId), which rolls back its whole statement: nothing is counted twice.
  with mine as (
    select l.shown_order from task_leases l
      where l.comparison_id = p_comparison and l.annotator_id = p_me and l.expires_at > now()),
  counted as (
    update comparisons c set judgment_count = judgment_count + 1
      where c.id = p_comparison and exists (select from mine)
        and not exists (select from judgments j where j.client_id = p_client)
        and not exists (select from undone_judgments u where u.client_id = p_client)
      returning c.project_id),
  judgment as (
    insert into judgments (client_id, comparison_id, project_id, annotator_id, ranking, strength, both_bad, criteria, rationale, shown_order, duration_ms)
      select p_client, p_comparison, counted.project_id, p_me, p_ranking, p_strength, p_both_bad, p_criteria, p_rationale,
             (select shown_order from mine), p_duration_ms
      from counted
      returning id, project_id),
  released as (delete from task_leases where comparison_id = p_comparison and annotator_id = p_me and exists (select from counted))
  select id, project_id into v_id, v_project from judgment;
  IF v_id IS NULL THEN
    -- 0007's path (with 0014's reservation check): a retry, no live lease, no such comparison.
    select c.project_id, c.is_gold, c.judgment_count, c.required, c.reserved_for_user, c.reserved_for_group,
        (select jsonb_agg(cr.response_id order by cr.position) from comparison_responses cr where cr.comparison_id = c.id) as response_ids,
        j.id as prev_id, j.annotator_id as prev_annotator, j.comparison_id as prev_comparison,
        u.judgment_id as undone_id, u.annotator_id as undone_annotator, u.comparison_id as undone_comparison,
        (select l.shown_order from task_leases l
          where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now()) as my_lease
      into v_c
      from comparisons c left join judgments j on j.client_id = p_client
        left join undone_judgments u on u.client_id = p_client
      where c.id = p_comparison for update of c;
    IF NOT FOUND THEN
      -- No such comparison; a clientId already used elsewhere is the more useful answer.
      PERFORM 1 from judgments j where j.client_id = p_client
        union all select 1 from undone_judgments u where u.client_id = p_client;
      IF FOUND THEN
        RAISE EXCEPTION 'This clientId was already used for another judgment' USING ERRCODE = 'AR409';
      END IF;
      RAISE EXCEPTION 'No such comparison' USING ERRCODE = 'AR404';
    END IF;
    IF v_c.prev_id IS NOT NULL THEN
      -- A retry of an acknowledged submit: same clientId → the same judgment, no second row.
      IF v_c.prev_annotator <> p_me OR v_c.prev_comparison <> p_comparison THEN
        RAISE EXCEPTION 'This clientId was already used for another judgment' USING ERRCODE = 'AR409';
      END IF;
      v_id := v_c.prev_id;
      v_created := false;
    ELSIF v_c.undone_id IS NOT NULL THEN
      -- A late replay of a submit its annotator has since undone: the same answer as any
      -- retry (the undone judgment's id, not created), marked undone; nothing is written.
      IF v_c.undone_annotator <> p_me OR v_c.undone_comparison <> p_comparison THEN
        RAISE EXCEPTION 'This clientId was already used for another judgment' USING ERRCODE = 'AR409';
      END IF;
      v_id := v_c.undone_id;
      v_created := false;
      v_undone := true;
    ELSE
      v_lease := v_c.my_lease;
      IF v_lease IS NULL AND (v_c.reserved_for_user IS NOT NULL OR v_c.reserved_for_group IS NOT NULL)
         AND v_c.reserved_for_user IS DISTINCT FROM p_me THEN
        -- Without a lease, a comparison reserved for another annotator or another group is
        -- not the caller's to judge: the rule arbiter_next_task assigns by.
        select m.group_name into v_group from project_members m
          where m.project_id = v_c.project_id and m.user_id = p_me and m.removed_at is null;
        IF v_c.reserved_for_group IS NULL OR v_group IS DISTINCT FROM v_c.reserved_for_group THEN
          RAISE EXCEPTION 'This comparison is reserved for another annotator' USING ERRCODE = 'AR403';
        END IF;
      END IF;
      IF v_lease IS NULL AND NOT v_c.is_gold THEN
        -- counted in a later statement than the lock: a fresh snapshot sees every lease
        -- committed by the lock's previous holder
        select count(*) filter (where l.annotator_id <> p_me and l.expires_at > now())::int into v_others
          from task_leases l where l.comparison_id = p_comparison;
      END IF;
      IF v_lease IS NULL AND NOT v_c.is_gold AND v_c.judgment_count + v_others >= v_c.required THEN
        -- No live lease (it expired, or a script skipped tasks/next) and no free slot.
        RAISE EXCEPTION 'This comparison already has the judgments it needs (your lease expired)' USING ERRCODE = 'AR409';
      END IF;
      with judgment as (
        insert into judgments (client_id, comparison_id, project_id, annotator_id, ranking, strength, both_bad, criteria, rationale, shown_order, duration_ms)
          values (p_client, p_comparison, v_c.project_id, p_me, p_ranking, p_strength, p_both_bad, p_criteria, p_rationale,
                  coalesce(v_lease, v_c.response_ids), p_duration_ms)
          returning id),
      released as (delete from task_leases where comparison_id = p_comparison and annotator_id = p_me),
      counted as (update comparisons set judgment_count = judgment_count + 1 where id = p_comparison)
      select id into v_id from judgment;
    END IF;
    v_project := v_c.project_id;
  END IF;
  RETURN json_build_object(
    'id', v_id,
    'created', v_created,
    'undone', v_undone,
    'projectId', v_project,
    'next', CASE WHEN p_next THEN arbiter_next_task(v_project, p_me, p_group, '{}', p_gold_first, p_lease_seconds,
                                                   p_max_leases, p_tries) END);
END
$$;
