"""Labels of the Streamlit app after the steps: run, results, workbench (curve, checks
before Run, units), saved scenarios and login, in Chinese (``zh``) and English (``en``)."""

from __future__ import annotations

from typing import Final

APP_RESULT_LABELS: Final[dict[str, dict[str, str]]] = {
    # --- run ------------------------------------------------------------------------
    "app_running": {"zh": "正在运行……", "en": "Running…"},
    "app_stage_inputs": {
        "zh": "读取数据、构建需求、计算出行时间",
        "en": "Reading layers, building demand, computing travel times",
    },
    "app_stage_solve": {
        "zh": "求解{model}（时间上限 {limit} 秒）",
        "en": "Solving {model} (time limit {limit} s)",
    },
    "app_stage_sweep": {"zh": "扫描 p：{done}/{total}", "en": "Sweep over p: {done}/{total}"},
    "app_run_done": {
        "zh": "完成：{quality}（{seconds} 秒）",
        "en": "Done: {quality} ({seconds} s)",
    },
    "app_run_failed": {"zh": "运行失败", "en": "The run failed"},
    "app_quality_optimal": {"zh": "已证明最优", "en": "proven optimal"},
    "app_quality_gap": {
        "zh": "与最优解相差不超过 {gap}%（已证明）",
        "en": "within {gap} % of optimal (certified)",
    },
    "app_quality_no_bound": {"zh": "可行方案（无最优性保证）", "en": "feasible, no bound known"},
    "app_quality_infeasible": {"zh": "无可行方案", "en": "no feasible plan"},
    "app_quality_none": {"zh": "未找到方案", "en": "no plan found"},
    "app_infeasible_lead": {"zh": "无法满足所设标准：", "en": "The standards cannot all be met:"},
    "app_flagged_layer": {"zh": "无法满足的需求点", "en": "Points that cannot be served"},
    "app_flagged_hint": {
        "zh": "地图上以品红色圆圈标出诊断所指的全部 {n} 个需求点。",
        "en": "Magenta rings on the map mark all {n} demand point(s) the diagnosis names.",
    },
    "app_no_solution_lead": {"zh": "求解器未找到方案：", "en": "The solver found no plan:"},
    # --- results ---------------------------------------------------------------------
    "app_no_run": {
        "zh": "尚未运行：设置好数据和参数后，点击左侧“运行”。",
        "en": "Nothing run yet: set data and parameters, then press Run on the left.",
    },
    "app_status_line": {
        "zh": "**{model}**：{quality}（求解 {seconds} 秒，方法 {method}）",
        "en": "**{model}**: {quality} (solved in {seconds} s, method {method})",
    },
    "app_basemap": {"zh": "底图", "en": "Base map"},
    "app_basemap_osm": {"zh": "OpenStreetMap", "en": "OpenStreetMap"},
    "app_basemap_gaode": {"zh": "高德地图（GCJ-02）", "en": "AutoNavi (GCJ-02)"},
    "app_basemap_none": {"zh": "无底图", "en": "No base map"},
    "app_layers_hint": {
        "zh": "图层（候选站址、分配连线、服务范围……）可在地图右上角的图层开关中打开或关闭，无需重新计算。",
        "en": "Switch layers (candidate sites, allocation lines, catchments, …) on and off in the map's layer control, top right: no rerun needed.",
    },
    "app_n_worst": {"zh": "显示的服务最差区域数", "en": "Worst-served areas shown"},
    "app_plan_map": {"zh": "方案地图", "en": "Plan map"},
    "app_kpis": {"zh": "指标：方案与现状", "en": "KPIs: plan and today"},
    "app_sites_table": {"zh": "选定营业厅", "en": "Chosen centres"},
    "app_tradeoff_hint": {
        "zh": "选择 p 的范围后点击“计算曲线”：范围内每个 p 各求解一次。",
        "en": "Choose a range of p and press 'Compute the curve': one solve per p in the range.",
    },
    "app_worst": {"zh": "服务最差的区域", "en": "Worst-served areas"},
    "app_downloads": {"zh": "下载", "en": "Downloads"},
    "app_download_map": {"zh": "地图 map.html", "en": "Map (map.html)"},
    "app_download_report": {"zh": "建议书 report.html", "en": "Report (report.html)"},
    "app_download_geopackage": {"zh": "GeoPackage（plan.gpkg）", "en": "GeoPackage (plan.gpkg)"},
    "app_download_assignment": {"zh": "需求点分配 CSV", "en": "Assignment CSV"},
    "app_download_sites": {"zh": "选定营业厅 CSV", "en": "Chosen centres CSV"},
    "app_download_kpis": {"zh": "指标 kpis.json", "en": "KPIs (kpis.json)"},
    "app_download_chosen_sites": {
        "zh": "选定营业厅 GeoJSON",
        "en": "Chosen centres (GeoJSON)",
    },
    "app_download_diagnosis": {
        "zh": "无方案原因 diagnosis.json",
        "en": "Why no plan (diagnosis.json)",
    },
    "app_download_scenario": {
        "zh": "情景文件 scenario.toml",
        "en": "Scenario file (scenario.toml)",
    },
    "app_download_bundle": {"zh": "情景文件 + 数据（zip）", "en": "Scenario + data (zip)"},
    "app_gap": {"zh": "最优性差距", "en": "Gap to optimal"},
    # --- workbench: curve, checks before Run, units -----------------------------------
    "app_stop": {"zh": "停止", "en": "Stop"},
    "app_elapsed": {"zh": "{stage}：已用 {seconds} 秒", "en": "{stage}: {seconds} s so far"},
    "app_stage_name_solve": {"zh": "求解中", "en": "Solving"},
    "app_stage_name_kpis": {"zh": "计算指标", "en": "Measuring the plan"},
    "app_stage_name_reading": {"zh": "读取数据", "en": "Reading the data"},
    "app_stage_name_aggregation": {"zh": "汇总人口格网", "en": "Aggregating cells"},
    "app_stage_name_travel": {"zh": "计算出行时间", "en": "Computing travel times"},
    "app_stage_name_outputs": {"zh": "写出结果", "en": "Writing outputs"},
    "app_run_stopped": {
        "zh": "已停止运行（{seconds} 秒后）：未保存任何结果，下方仍为上一次运行的方案。可随时重新运行。",
        "en": "Run stopped by you after {seconds} s: nothing of it was kept; the results are still those of the previous run. Press Run to start again.",
    },
    "app_run_stopped_short": {"zh": "已停止", "en": "Stopped"},
    "app_run_stopping": {"zh": "正在停止……", "en": "Stopping …"},
    "app_run_stopping_background": {
        "zh": "正在停止：求解器当前步骤在 {seconds} 秒内未结束，将在后台结束（最长至时间上限）；结果仍为上一次运行的方案。",
        "en": "Stopping: the solver's current step did not end within {seconds} s; it ends in the background (at the latest at its time limit). The results are still those of the previous run.",
    },
    "app_run_finished_before_stop": {
        "zh": "运行在点击“停止”之前已完成：显示其结果。",
        "en": "The run had finished before Stop was clicked: its results are shown.",
    },
    "app_legend_hotspot": {"zh": "故障热点（红框）", "en": "Fault hotspot (red outline)"},
    "app_legend_existing": {"zh": "现有营业厅", "en": "Today's centre"},
    "app_legend_included": {"zh": "候选站址（参与选址）", "en": "Candidate site (in the choice)"},
    "app_legend_excluded": {"zh": "已排除的候选站址", "en": "Excluded candidate site"},
    "app_note_p": {
        "zh": "p 是方案中营业厅的总数，含保留的 {kept} 个现有营业厅（现有共 {today} 个）；可选站址共 {sites} 个。",
        "en": "p counts every centre of the plan, the {kept} of today's centres that are kept included "
        "(today: {today}); {sites} sites to choose from.",
    },
    "app_check_p_below_kept": {
        "zh": "p = {p} 小于必须保留的 {kept} 个现有营业厅：请把 p 提高到至少 {kept}，或在“站址”步骤允许现有营业厅关闭。",
        "en": "p = {p} is fewer than the {kept} of today's centres that must stay open: raise p to "
        "at least {kept}, or let today's centres close (Sites step).",
    },
    "app_check_p_above_sites": {
        "zh": "p = {p} 多于可选站址数（{sites} 个）：请降低 p，或增加候选站址。",
        "en": "p = {p} is more than the {sites} sites there are: lower p or add candidate sites.",
    },
    "app_note_capacity": {
        "zh": "单位与需求权重相同。总需求 {total}；{p} 个营业厅平均每个须承担 {each}。",
        "en": "In demand-weight units. Total demand {total}; {p} centres carry {each} each on average.",
    },
    "app_check_capacity_needed": {
        "zh": "请填写每个营业厅的容量（需求权重单位，至少约 {each}）。",
        "en": "Enter the capacity of each centre (demand-weight units; at least about {each}).",
    },
    "app_check_capacity_short": {
        "zh": "{p} 个营业厅 × 容量 {cap} = {room}，小于总需求 {total}：请提高容量或 p。",
        "en": "{p} centres × capacity {cap} = {room}, less than the total demand {total}: "
        "raise the capacity or p.",
    },
    "app_note_opening_cost": {
        "zh": "单位：需求权重 × 分钟（与目标相同）。新设一个营业厅须至少减少这么多加权出行时间才值得；现有营业厅成本为 0。",
        "en": "In demand weight × minutes (the objective's unit): a new centre opens only if it "
        "saves at least this much weighted travel; today's centres cost nothing.",
    },
    "app_note_budget": {
        "zh": "与开设成本同单位（需求权重 × 分钟）；0 表示不限。",
        "en": "In the opening cost's unit (demand weight × minutes); 0 means no limit.",
    },
    "app_check_budget_opens": {
        "zh": "该预算最多可新设 {n} 个营业厅。",
        "en": "This budget opens at most {n} new centre(s).",
    },
    "app_check_max_sites_below_kept": {
        "zh": "最多 {n} 个营业厅，少于必须保留的 {kept} 个现有营业厅：请提高上限，或允许现有营业厅关闭。",
        "en": "At most {n} centres is fewer than the {kept} of today's centres that must stay "
        "open: raise it, or let today's centres close.",
    },
    "app_run_blocked": {
        "zh": "请先修正标红的设置（括号内为所在步骤）：",
        "en": "Fix the settings marked red first (their step in brackets):",
    },
    "app_check_lon_not_found": {
        "zh": "未按列名找到经度列（lon、longitude、经度 等）：请在列表中选择。",
        "en": "No longitude column found by its name (lon, longitude, 经度, ...): choose it in the list.",
    },
    "app_check_lat_not_found": {
        "zh": "未按列名找到纬度列（lat、latitude、纬度 等）：请在列表中选择。",
        "en": "No latitude column found by its name (lat, latitude, 纬度, ...): choose it in the list.",
    },
    "app_check_same_column": {
        "zh": "经度和纬度选了同一列“{col}”：请分别选择。",
        "en": "Longitude and latitude are the same column '{col}': choose one for each.",
    },
    "app_check_not_numbers": {
        "zh": "“{col}”列有 {n} 行不是数字（第 {lines} 行）：请补全或删除这些行。",
        "en": "Column '{col}' has {n} row(s) without a number (line(s) {lines}): fill them in or "
        "delete those rows.",
    },
    "app_check_crs_metres": {
        "zh": "坐标值高达 {big}，是米而不是经纬度：请选“EPSG 代码”并填写投影的代码"
        "（如 3857 网络墨卡托、4547 CGCS2000 114°E 带）。",
        "en": "Coordinates up to {big} are metres, not degrees: choose 'EPSG code' and the "
        "projection's code (e.g. 3857 web Mercator, 4547 CGCS2000 114°E zone).",
    },
    "app_check_swapped": {
        "zh": "经纬度看起来对调了：“{lat}”像经度、“{lon}”像纬度，请交换两列的选择。",
        "en": "Longitude and latitude look swapped: '{lat}' holds longitudes and '{lon}' "
        "latitudes; swap the two choices.",
    },
    "app_check_out_of_range": {
        "zh": "经度须在 -180 到 180、纬度须在 -90 到 90 之间：请检查所选列或坐标系。",
        "en": "Longitude must be -180..180 and latitude -90..90: check the columns or the "
        "coordinate system.",
    },
    "app_note_range": {"zh": "范围 {low} – {high}（度）", "en": "From {low} to {high} (degrees)"},
    "app_check_column_gone": {
        "zh": "文件中没有“{col}”列：请重新选择。",
        "en": "The file has no column '{col}': choose again.",
    },
    "app_check_missing_counts": {
        "zh": "有 {n} 行为空或不是数字（第 {rows} 行）：请补全，或选择其他列。",
        "en": "{n} row(s) are empty or not numbers (row(s) {rows}): fill them in or choose "
        "another column.",
    },
    "app_check_negative": {
        "zh": "有 {n} 行为负数（第 {rows} 行）：人数和密度须 ≥ 0。",
        "en": "{n} row(s) are negative (row(s) {rows}): counts and densities must be ≥ 0.",
    },
    "app_check_sum_zero": {
        "zh": "该列合计为 0：没有需要服务的人口，请选择人口数列。",
        "en": "This column sums to 0: no one to serve; choose the column of people.",
    },
    "app_note_population_col": {
        "zh": "合计 {total} 人，{n} 个网格；最多的网格 {most} 人。",
        "en": "{total} people in total over {n} cells; the largest cell {most}.",
    },
    "app_note_pop65_col": {
        "zh": "65 岁以上合计 {total} 人（{n} 个网格）。",
        "en": "{total} residents 65+ in total ({n} cells).",
    },
    "app_note_residential_col": {
        "zh": "合计 {total}（密度单位，按比例计入需求），{n} 个网格；最大 {most}。",
        "en": "{total} in total (density units, blended in proportion) over {n} cells; "
        "largest {most}.",
    },
    "app_check_ids_repeat": {
        "zh": "有 {n} 个编号重复（如“{example}”）：请选择每行唯一的编号列，或不选（自动编号）。",
        "en": "{n} id(s) appear more than once (e.g. '{example}'): choose a column with one id "
        "per row, or none (rows are numbered).",
    },
    "app_note_example": {"zh": "例如：{example}", "en": "E.g. {example}"},
    "app_check_names_empty": {
        "zh": "该列全部为空：请选择名称列，或不选（显示编号）。",
        "en": "This column is empty: choose the column of names, or none (ids are shown).",
    },
    "app_check_names_missing": {
        "zh": "{total} 行中有 {n} 行没有名称：地图和表格中以编号代替。",
        "en": "{n} of {total} rows have no name: their id is shown instead.",
    },
    "app_check_garbled": {
        "zh": "名称看起来是乱码（如“{example}”）：请选择文件的文字编码。",
        "en": "Names look garbled (e.g. '{example}'): choose the file's text encoding.",
    },
    "app_note_categories": {
        "zh": "{k} 个类别：{shown}",
        "en": "{k} categories: {shown}",
    },
    "app_check_bad_times": {
        "zh": "有 {n} 行时间无法识别（第 {rows} 行）：近期加权需要可读的时间，请修正或选择其他列。",
        "en": "{n} row(s) have unreadable times (row(s) {rows}): the recency weighting needs "
        "them; fix them or choose another column.",
    },
    "app_note_times": {"zh": "时间从 {first} 到 {last}", "en": "Times from {first} to {last}"},
    "app_check_datum": {
        "zh": "这些点按 {datum} 读取时明显更贴合人口分布（与按 WGS 84 读取相差约 {m} 米）："
        "若坐标来自网络地图，请选择 {datum}；若确为 WGS 84，请选 WGS 84。",
        "en": "These points fit where people live clearly better read as {datum} (about {m} m "
        "from reading them as WGS 84): if they come from a web map choose {datum}; if they "
        "are true WGS 84, choose WGS 84.",
    },
    "app_encoding": {"zh": "文字编码", "en": "Text encoding"},
    "app_encoding_help": {
        "zh": "属性表中文字的编码；自动：先试 UTF-8，再试 GBK（GB18030）。",
        "en": "How the attribute text is encoded; automatic tries UTF-8, then GBK (GB18030).",
    },
    "app_encoding_auto": {"zh": "自动", "en": "Automatic"},
    "app_encoding_utf-8": {"zh": "UTF-8", "en": "UTF-8"},
    "app_encoding_gb18030": {
        "zh": "GBK / GB18030（中文 Windows）",
        "en": "GBK / GB18030 (Chinese Windows)",
    },
    "app_note_encoding_read": {"zh": "按 {enc} 读取。", "en": "Read as {enc}."},
    "app_check_encoding_fails": {
        "zh": "按 {enc} 无法读取此文件的文字：请选择其他编码（中文 Windows 文件多为 GBK）。",
        "en": "The file's text cannot be read as {enc}: choose another encoding (files from "
        "Chinese Windows are usually GBK).",
    },
    "app_max_snap": {"zh": "吸附距离（米）", "en": "Snapping distance (m)"},
    "app_max_snap_help": {
        "zh": "需求点或站址离道路超过此距离时不吸附到路网。",
        "en": "A demand point or site farther than this from a road is not snapped to the network.",
    },
    "app_unsnapped": {"zh": "超出吸附距离的点", "en": "Points beyond it"},
    "app_unsnapped_straight_line": {"zh": "按直线计算", "en": "Reached in a straight line"},
    "app_unsnapped_drop": {"zh": "视为无法到达", "en": "Treated as unreachable"},
    "app_snap_demand": {"zh": "需求点", "en": "demand points"},
    "app_snap_sites": {"zh": "站址", "en": "sites"},
    "app_check_snap_none": {
        "zh": "{n} 个{what}都不在道路 {m} 米以内（最近的也有 {nearest}）：请上传覆盖研究区域的路网，"
        "或加大吸附距离。",
        "en": "None of the {n} {what} is within {m} m of a road of this network (the nearest is "
        "{nearest} away): upload a network that covers the study area, or raise the "
        "snapping distance.",
    },
    "app_check_snap_some_straight_line": {
        "zh": "{n} 个{what}中有 {k} 个离道路超过 {m} 米（最远 {most}）：它们按直线计算出行时间。",
        "en": "{k} of {n} {what} are more than {m} m from a road (the farthest {most}): "
        "their trips are measured in straight lines.",
    },
    "app_check_snap_some_drop": {
        "zh": "{n} 个{what}中有 {k} 个离道路超过 {m} 米（最远 {most}）：它们被视为无法到达。",
        "en": "{k} of {n} {what} are more than {m} m from a road (the farthest {most}): "
        "they count as unreachable.",
    },
    "app_note_snap": {
        "zh": "{what}离道路中位 {median}，最远 {most}：全部可吸附。",
        "en": "All {what} snap to a road: median {median}, farthest {most}.",
    },
    "app_centres_line": {
        "zh": "新设 {new} 个，保留 {kept} 个，关闭 {closed} 个（现有 {today} 个）。",
        "en": "{new} new, {kept} kept, {closed} closed (of today's {today}).",
    },
    "app_closed_list": {"zh": "关闭：{names}。", "en": "Closed: {names}."},
    "app_diff_vs": {"zh": "{other} 相对 {name}", "en": "{other} vs {name}"},
    "app_try": {"zh": "可尝试：", "en": "Try: "},
    "app_fix_more_p": {"zh": "增加营业厅数量 p", "en": "more centres (p)"},
    "app_fix_more_sites": {
        "zh": "增加候选站址（少排除一些，或加入其他类别）",
        "en": "more candidate sites (fewer exclusions, or more categories)",
    },
    "app_fix_wider_radius": {"zh": "放宽服务半径", "en": "a wider service radius"},
    "app_fix_longer_cutoff": {
        "zh": "提高路网出行时间上限（出行步骤）",
        "en": "a longer road-travel cut-off (Travel step)",
    },
    "app_fix_looser_response": {
        "zh": "放宽抢修响应标准",
        "en": "looser response standards",
    },
    "app_fix_no_enforce": {
        "zh": "取消“故障热点必须满足响应标准”",
        "en": "untick 'fault hotspots must meet the response standard'",
    },
    "app_fix_more_capacity": {"zh": "提高每个营业厅的容量", "en": "a larger capacity per centre"},
    "app_fix_more_budget": {"zh": "提高预算", "en": "a larger budget"},
    "app_fix_longer_time": {
        "zh": "延长时间上限（侧栏）",
        "en": "a longer time limit (sidebar)",
    },
    "app_fix_let_close": {
        "zh": "允许现有营业厅关闭（站址步骤）",
        "en": "letting today's centres close (Sites step)",
    },
    "app_tradeoff_button": {"zh": "计算曲线", "en": "Compute the curve"},
    "app_tradeoff_no_p": {
        "zh": "该模型没有营业厅数量 p，因此没有此曲线。",
        "en": "This model has no number of centres p, so there is no such curve.",
    },
    "app_chart_p": {"zh": "营业厅数量 p", "en": "Number of centres p"},
    "app_chart_mean": {"zh": "平均出行时间（分钟）", "en": "Mean travel (min)"},
    "app_chart_share": {
        "zh": "{minutes} 分钟内可达的人口（%）",
        "en": "Population within {minutes} min (%)",
    },
    # --- scenarios -------------------------------------------------------------------------
    "app_library_at": {"zh": "方案库：{path}", "en": "Library: {path}"},
    "app_save": {"zh": "保存当前结果", "en": "Save this run"},
    "app_save_needs_run": {
        "zh": "先运行得到方案，再保存。",
        "en": "Run a plan first, then save it.",
    },
    "app_save_name": {"zh": "方案名称", "en": "Name"},
    "app_save_with_map": {"zh": "保存地图", "en": "Save the map"},
    "app_save_overwrite": {"zh": "覆盖同名方案", "en": "Overwrite"},
    "app_save_button": {"zh": "保存", "en": "Save"},
    "app_saved": {"zh": "已保存：{name}", "en": "Saved: {name}"},
    "app_saved_list": {"zh": "已保存的方案", "en": "Saved scenarios"},
    "app_library_empty": {"zh": "方案库为空。", "en": "The library is empty."},
    "app_libcol_name": {"zh": "名称", "en": "Name"},
    "app_libcol_created_at": {"zh": "保存时间（UTC）", "en": "Saved (UTC)"},
    "app_libcol_model": {"zh": "模型", "en": "Model"},
    "app_libcol_n_open": {"zh": "营业厅数", "en": "Centres"},
    "app_libcol_status": {"zh": "状态", "en": "Status"},
    "app_libcol_quality": {"zh": "求解质量", "en": "Quality"},
    "app_open": {"zh": "打开方案", "en": "Open a scenario"},
    "app_open_name": {"zh": "方案", "en": "Scenario"},
    "app_saved_header": {
        "zh": "**{name}**（保存于 {created}；{quality}）",
        "en": "**{name}** (saved {created}; {quality})",
    },
    "app_no_saved_map": {"zh": "（未保存地图）", "en": "(no map saved)"},
    "app_apply": {"zh": "使用该方案的设置", "en": "Use its settings"},
    "app_apply_help": {
        "zh": "把需求、站址、出行、模型和标准设置载入各步骤（数据不变）。",
        "en": "Load its demand, sites, travel, model and standard settings into the steps (the data stay).",
    },
    "app_applied": {
        "zh": "已载入 {name} 的设置；点击“运行”重新计算。",
        "en": "Settings of {name} loaded; press Run to solve.",
    },
    "app_delete": {"zh": "删除", "en": "Delete"},
    "app_deleted": {"zh": "已删除：{name}", "en": "Deleted: {name}"},
    "app_compare": {"zh": "方案对比", "en": "Compare scenarios"},
    "app_compare_names": {"zh": "选择两个或更多方案", "en": "Choose two or more scenarios"},
    "app_compare_hint": {
        "zh": "至少选择两个方案进行对比。",
        "en": "Choose at least two scenarios to compare.",
    },
    "app_compare_reference": {
        "zh": "新增、取消和保留的站址均相对于第一个方案（{name}）。",
        "en": "Sites added, dropped and kept are relative to the first scenario ({name}).",
    },
    "app_scenario": {"zh": "方案", "en": "Scenario"},
    "app_n_open": {"zh": "营业厅数", "en": "Centres"},
    "app_kept": {"zh": "保留", "en": "Kept"},
    "app_added": {"zh": "新增", "en": "Added"},
    "app_dropped": {"zh": "取消", "en": "Dropped"},
    # ---- access: login, team use, library names (planner.runs.access, app/views/login.py)
    "app_login_title": {"zh": "登录 · 供电营业厅选址", "en": "Log in · Service-Centre Planner"},
    "app_login_intro": {
        "zh": "此规划工具供团队使用，请先登录。",
        "en": "This planner is shared by a team; please log in first.",
    },
    "app_login_button": {"zh": "登录", "en": "Log in"},
    "app_login_oidc_button": {
        "zh": "用单位账号登录",
        "en": "Log in with your organisation account",
    },
    "app_login_user": {"zh": "用户名", "en": "User name"},
    "app_login_password": {"zh": "密码", "en": "Password"},
    "app_login_failed": {
        "zh": "用户名或密码不正确。",
        "en": "The user name or password is not right.",
    },
    "app_logged_in_as": {"zh": "已登录：{user}", "en": "Logged in as {user}"},
    "app_logout": {"zh": "退出登录", "en": "Log out"},
    "app_cannot_start": {"zh": "应用无法启动：{message}", "en": "The app cannot start: {message}"},
    "app_library_name": {"zh": "方案库", "en": "Scenario library"},
    "app_library_name_help": {
        "zh": "输入方案库名称（下方列出已有的方案库，新名称会新建一个），所有方案库都存放在管理员配置的方案库根目录中{per_user}。",
        "en": "Type a library's name (the libraries there are listed below; a new name makes a "
        "new one); every library lives in the library root the administrator configured{per_user}.",
    },
    "app_library_per_user": {
        "zh": "；登录后每位用户只能看到自己的方案",
        "en": "; once users log in, each sees only their own saved runs",
    },
}
