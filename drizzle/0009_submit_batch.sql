-- Several submits in one transaction: the web process coalesces the submits that arrive
-- while earlier ones are in PostgreSQL into one call (lib/judgments/submit-queue.ts), so
-- under load a commit, its WAL flush, a round trip and a statement's setup are shared by
-- the batch instead of paid by each judgment. Each item is exactly one
-- arbiter_submit_judgment (drizzle/0008), in two phases:
--   1. the judgments, in the order of their comparisons' ids. Their counters' row locks
--      are the locks a submit waits for, so two batches take them in the same order and
--      cannot deadlock on them. (The one other wait, on a unique key that the same
--      annotator's or clientId's insert in another batch holds, is a double submit; were
--      it to close a cycle, PostgreSQL's deadlock check would fail one batch, which the
--      caller then retries item by item.)
--   2. the next tasks. Assignment locks its candidates FOR UPDATE SKIP LOCKED and never
--      waits, so the locks it holds until commit cannot close a cycle with phase 1 of
--      another batch.
-- An error in any item (a conflict, a retried clientId racing itself) raises out of the
-- call and rolls the whole batch back; the caller then submits each item on its own, so
-- every item gets the answer it would have had alone.
-- p_items: a JSON array, each item the 15 arguments of arbiter_submit_judgment in order.
-- Returns a JSON array of the same length: each item's {id, created, projectId, next}.
CREATE OR REPLACE FUNCTION arbiter_submit_judgments(p_items jsonb) RETURNS json
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
DECLARE
  v record;
  v_out json[] := array_fill(null::json, array[jsonb_array_length(p_items)]);
  v_result json;
BEGIN
  FOR v IN
    select e.item, e.i from jsonb_array_elements(p_items) with ordinality as e(item, i)
      order by (e.item->>0)::uuid, e.i
  LOOP
    v_out[v.i] := arbiter_submit_judgment(
      (v.item->>0)::uuid, (v.item->>1)::uuid, (v.item->>2)::uuid, v.item->3,
      (v.item->>4)::integer, (v.item->>5)::boolean,
      CASE WHEN jsonb_typeof(v.item->6) = 'null' THEN NULL ELSE v.item->6 END,
      v.item->>7, (v.item->>8)::integer,
      false, null, false, 0, 0, 0);
  END LOOP;
  FOR v IN select e.item, e.i from jsonb_array_elements(p_items) with ordinality as e(item, i) LOOP
    IF (v.item->>9)::boolean THEN
      v_result := v_out[v.i];
      v_out[v.i] := json_build_object(
        'id', v_result->'id',
        'created', v_result->'created',
        'projectId', v_result->'projectId',
        'next', arbiter_next_task((v_result->>'projectId')::uuid, (v.item->>1)::uuid, v.item->>10, '{}',
                                  (v.item->>11)::boolean, (v.item->>12)::integer, (v.item->>13)::integer,
                                  (v.item->>14)::integer));
    END IF;
  END LOOP;
  RETURN array_to_json(v_out);
END
$$;
