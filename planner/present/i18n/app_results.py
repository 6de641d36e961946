"""Labels of the Streamlit app after the steps: run, results, workbench (curve, checks
before Run, units), saved scenarios and login, in Chinese (``zh``) and English (``en``)."""

from __future__ import annotations

from typing import Final

APP_RESULT_LABELS: Final[dict[str, dict[str, str]]] = {
    "app_col_fault_load": {"zh": "故障数（加权）", "en": "Faults (weighted)"},
    "app_col_capacity_used": {"zh": "容量使用率（%）", "en": "Capacity used (%)"},
    # --- run ------------------------------------------------------------------------
    "app_running": {"zh": "正在运行……", "en": "Running…"},
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
    "app_load_stopped": {
        "zh": "已停止读取数据（{seconds} 秒后）。可调整设置（如更大的网格尺寸、更少的图层）后继续，或点击“读取数据”重新开始；也可直接运行（读取将在运行中进行，可随时停止）。",
        "en": "Reading the data stopped by you after {seconds} s. Change the settings (e.g. a larger cell size, fewer layers) and it starts again, or press 'Read the data'; Run also reads them first (and can be stopped).",
    },
    "app_load_stopped_note": {
        "zh": "数据读取已停止：字段旁的检查和数据概要需要读取后才显示。",
        "en": "Reading the data was stopped: the checks beside the fields and the data summary need the data read.",
    },
    "app_load_again": {"zh": "读取数据", "en": "Read the data"},
    "app_load_stopping_background": {
        "zh": "正在停止：当前读取步骤在 {seconds} 秒内未结束，将在后台结束；页面可以继续使用。",
        "en": "Stopping: the current reading step did not end within {seconds} s; it ends in the background. The page can be used meanwhile.",
    },
    "app_load_finished_before_stop": {
        "zh": "数据在点击“停止”之前已读取完成。",
        "en": "The data had been read before Stop was clicked.",
    },
    "app_stage_name_sweep": {"zh": "计算权衡曲线", "en": "Computing the curve"},
    "app_sweep_running": {"zh": "正在计算权衡曲线……", "en": "Computing the trade-off curve…"},
    "app_sweep_stopped": {
        "zh": "已停止计算权衡曲线（{seconds} 秒后）；未保留任何结果。",
        "en": "Computing the trade-off curve stopped by you after {seconds} s; nothing of it was kept.",
    },
    "app_sweep_finished_before_stop": {
        "zh": "权衡曲线在点击“停止”之前已算完：显示如下。",
        "en": "The curve had been computed before Stop was clicked: it is shown below.",
    },
    "app_run_finished_before_stop": {
        "zh": "运行在点击“停止”之前已完成：显示其结果。",
        "en": "The run had finished before Stop was clicked: its results are shown.",
    },
    "app_legend_hotspot": {"zh": "故障热点（红框）", "en": "Fault hotspot (red outline)"},
    "app_legend_existing": {"zh": "现有营业厅", "en": "Today's centre"},
    "app_legend_included": {"zh": "候选站址（参与选址）", "en": "Candidate site (in the choice)"},
    "app_legend_excluded": {"zh": "已排除的候选站址", "en": "Excluded candidate site"},
    "app_run_blocked": {
        "zh": "请先修正标红的设置（括号内为所在步骤）：",
        "en": "Fix the settings marked red first (their step in brackets):",
    },
    "app_centres_line_none_today": {
        "zh": "新设 {new} 个营业厅（未提供现有营业厅）。",
        "en": "{new} new centre(s); no existing centres given.",
    },
    "app_centres_line": {
        "zh": "新设 {new} 个，保留 {kept} 个，关闭 {closed} 个（现有 {today} 个）。",
        "en": "{new} new, {kept} kept, {closed} closed (of today's {today}).",
    },
    "app_costs_line": {
        "zh": "开设成本 {opening}（{new} × {cost}）+ 加权出行时间 {travel} = 总成本 {total}"
        "（需求权重 × 分钟）。",
        "en": "Opening costs {opening} ({new} × {cost}) + weighted travel {travel} = total "
        "cost {total} (demand weight × min).",
    },
    "app_closed_list": {"zh": "关闭：{names}。", "en": "Closed: {names}."},
    "app_diff_vs": {"zh": "{other} 相对 {name}", "en": "{other} vs {name}"},
    "app_diff_other_model": {"zh": "模型不同，不可比", "en": "other model: not comparable"},
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
    "app_fix_looser_percentile": {
        "zh": "降低百分位标准的需求占比或放宽其分钟数（模型步骤）",
        "en": "a lower share or more minutes in the percentile standard (Model step)",
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
