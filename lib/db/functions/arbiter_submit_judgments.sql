-- arbiter_submit_judgments: current definition (drizzle/0017_undone_judgments.sql).
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
        'undone', v_result->'undone',
        'projectId', v_result->'projectId',
        'next', arbiter_next_task((v_result->>'projectId')::uuid, (v.item->>1)::uuid, v.item->>10, '{}',
                                  (v.item->>11)::boolean, (v.item->>12)::integer, (v.item->>13)::integer,
                                  (v.item->>14)::integer));
    END IF;
  END LOOP;
  RETURN array_to_json(v_out);
END
$$;
