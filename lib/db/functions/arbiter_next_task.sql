-- arbiter_next_task: current definition (drizzle/0007_assignment_single_scan.sql).
CREATE OR REPLACE FUNCTION arbiter_next_task(
  p_project uuid,
  p_me uuid,
  p_group text,
  p_exclude uuid[],
  p_gold_first boolean,
  p_lease_seconds integer,
  p_max_leases integer,
  p_tries integer
) RETURNS json
LANGUAGE plpgsql
-- keyed by ids through indexes: a plan made for the parameters buys nothing, and a
-- sequential scan planned while a table was small is wrong once it has grown (0006, 2.).
-- Bitmap scans off: each lookup reads a few rows by key (see 3.).
-- No JIT: a generic plan's cost estimate grows with the tables past jit_above_cost on a
-- server built with LLVM, and compiling per call would cost more than any of these runs.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_held_count integer;
  v_held_id uuid;
  v_held_order jsonb;
  v_held_expires timestamptz;
  v_reserved boolean;
  v_kind text;
  v_attempt integer;
  v_id uuid;
  v_gold boolean;
  v_count integer;
  v_required integer;
  v_leases integer;
  v_first_expiry timestamptz;
  v_order jsonb;
  v_expires timestamptz;
  v_task json;
  v_passed uuid[] := coalesce(p_exclude, '{}');
BEGIN
  -- What this annotator holds (a lease held comes back first: a reload, a retried
  -- request) and whether any open work is reserved for them, in one look.
  select h.n, f.comparison_id, f.shown_order, f.expires_at,
      exists (select 1 from comparisons c
              where c.project_id = p_project and not c.is_gold
                and (c.reserved_for_user is not null or c.reserved_for_group is not null)
                and (c.reserved_for_user = p_me or c.reserved_for_group = p_group)
                and c.judgment_count < c.required)
    into v_held_count, v_held_id, v_held_order, v_held_expires, v_reserved
    from (select count(*)::int as n from task_leases l join comparisons c on c.id = l.comparison_id
          where l.annotator_id = p_me and c.project_id = p_project and l.expires_at > now()) h
    left join lateral (
      select l.comparison_id, l.shown_order, l.expires_at from task_leases l join comparisons c on c.id = l.comparison_id
      where l.annotator_id = p_me and c.project_id = p_project and l.expires_at > now()
        and not (l.comparison_id = any(v_passed))
      order by l.created_at limit 1) f on true;
  IF v_held_id IS NOT NULL THEN
    RETURN arbiter_task_json(v_held_id, v_held_order, v_held_expires);
  END IF;
  IF v_held_count >= p_max_leases THEN
    RETURN NULL;
  END IF;

  FOREACH v_kind IN ARRAY (CASE WHEN p_gold_first THEN ARRAY['gold', 'reserved', 'open'] ELSE ARRAY['reserved', 'open'] END) LOOP
    CONTINUE WHEN v_kind = 'reserved' AND NOT v_reserved;
    FOR v_attempt IN 1..p_tries LOOP
      v_id := NULL;
      IF v_kind = 'gold' THEN
        select c.id into v_id from comparisons c
          where c.project_id = p_project and c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
            and not exists (select from judgments j where j.comparison_id = c.id and j.annotator_id = p_me offset 0)
            and not exists (select from skips s where s.comparison_id = c.id and s.annotator_id = p_me offset 0)
            and not exists (select from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now() offset 0)
            and not (c.id = any(v_passed))
          order by c.created_at limit 1 for update of c skip locked;
      ELSIF v_kind = 'reserved' THEN
        select c.id into v_id from comparisons c
          where c.project_id = p_project and not c.is_gold
            and (c.reserved_for_user is not null or c.reserved_for_group is not null)
            and (c.reserved_for_user = p_me or c.reserved_for_group = p_group)
            and c.judgment_count < c.required
            and c.judgment_count + (select count(*) filter (where l.expires_at > now()) from task_leases l where l.comparison_id = c.id) < c.required
            and not exists (select from judgments j where j.comparison_id = c.id and j.annotator_id = p_me offset 0)
            and not exists (select from skips s where s.comparison_id = c.id and s.annotator_id = p_me offset 0)
            and not exists (select from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now() offset 0)
            and not (c.id = any(v_passed))
          order by c.judgment_count desc nulls last, c.created_at limit 1 for update of c skip locked;
      ELSE
        -- Open comparisons in the partial index's order (fewest judgments left first); the
        -- per-row checks are filters on that ordered scan, so it stops at the first free row.
        select c.id into v_id from comparisons c
          where c.project_id = p_project and c.judgment_count < c.required
            and not c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
            and (c.slots_leased_until is null or c.slots_leased_until <= now())
            and c.judgment_count + (select count(*) filter (where l.expires_at > now()) from task_leases l where l.comparison_id = c.id) < c.required
            and not exists (select from judgments j where j.comparison_id = c.id and j.annotator_id = p_me offset 0)
            and not exists (select from skips s where s.comparison_id = c.id and s.annotator_id = p_me offset 0)
            and not exists (select from task_leases l where l.comparison_id = c.id and l.annotator_id = p_me and l.expires_at > now() offset 0)
            and not (c.id = any(v_passed))
          order by c.judgment_count desc nulls last, c.created_at
          limit 1 for update of c skip locked;
      END IF;
      EXIT WHEN v_id IS NULL; -- nothing of this kind: the next kind

      -- Recount under the row lock, in a new statement (a fresh snapshot), and draw a
      -- uniformly random display order for this annotator (position bias stays measurable).
      select c.is_gold, c.judgment_count, c.required, live.n, live.first_expiry,
             (select jsonb_agg(cr.response_id order by random()) from comparison_responses cr where cr.comparison_id = c.id)
        into v_gold, v_count, v_required, v_leases, v_first_expiry, v_order
        from comparisons c,
          lateral (select count(*) filter (where l.expires_at > now())::int as n,
                          min(l.expires_at) filter (where l.expires_at > now()) as first_expiry
                   from task_leases l where l.comparison_id = c.id) live
        where c.id = v_id;
      IF NOT v_gold AND v_count + v_leases >= v_required THEN
        v_passed := v_passed || v_id;
        CONTINUE;
      END IF;
      v_expires := clock_timestamp() + make_interval(secs => p_lease_seconds);
      -- The lease, the hint when it fills the last slot, and the task, in one statement.
      -- An expired lease of mine on this comparison is replaced, not duplicated.
      with lease as (
        insert into task_leases (comparison_id, annotator_id, shown_order, expires_at) values (v_id, p_me, v_order, v_expires)
          on conflict (comparison_id, annotator_id) do update
          set shown_order = excluded.shown_order, expires_at = excluded.expires_at, created_at = now()),
      hint as (
        update comparisons set slots_leased_until = least(v_first_expiry, v_expires)
          where id = v_id and not v_gold and v_count + v_leases + 1 >= v_required)
      select arbiter_task_json(v_id, v_order, v_expires) into v_task;
      RETURN v_task;
    END LOOP;
  END LOOP;
  RETURN NULL;
END
$$;
