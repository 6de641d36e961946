"""Labels of the Streamlit app's frame and its five steps (data, demand, sites, travel,
model), in Chinese (``zh``) and English (``en``). Run, results, workbench, saved scenarios
and login: :mod:`planner.present.i18n.app_results`."""

from __future__ import annotations

from typing import Final

APP_LABELS: Final[dict[str, dict[str, str]]] = {
    # --- the app: frame and sidebar ----------------------------------------------------
    "app_title": {"zh": "供电营业厅选址", "en": "Service-Centre Planner"},
    "app_intro": {
        "zh": "按步骤设置数据与参数，然后点击“运行”。修改设置不会自动重新计算。",
        "en": "Set data and parameters step by step, then press Run. Changing a setting never re-solves by itself.",
    },
    "app_step": {"zh": "步骤", "en": "Step"},
    "app_step_data": {"zh": "数据", "en": "Data"},
    "app_step_demand": {"zh": "需求", "en": "Demand"},
    "app_step_sites": {"zh": "站址", "en": "Sites"},
    "app_step_travel": {"zh": "出行", "en": "Travel"},
    "app_step_model": {"zh": "模型", "en": "Model"},
    "app_step_results": {"zh": "结果", "en": "Results"},
    "app_step_scenarios": {"zh": "方案库", "en": "Scenarios"},
    "app_run": {"zh": "▶ 运行", "en": "▶ Run"},
    "app_run_help": {
        "zh": "读取数据、求解模型并计算指标（演示数据约 10 秒）",
        "en": "Read the data, solve the model and measure the plan (about 10 s on the demo)",
    },
    "app_time_limit": {"zh": "求解时间上限（秒）", "en": "Solver time limit (s)"},
    "app_last_run": {"zh": "上次运行：{quality}", "en": "Last run: {quality}"},
    "app_settings_changed": {
        "zh": "设置已修改：点击“运行”以更新结果。",
        "en": "Settings changed since this run: press Run to update the results.",
    },
    "app_library_dir": {"zh": "方案库文件夹", "en": "Scenario library folder"},
    "app_library_help": {
        "zh": "保存的方案存放在此文件夹的 scenarios.sqlite 中，重启后仍在，可与同事共享。",
        "en": "Saved scenarios live in scenarios.sqlite in this folder; they survive a restart and can be shared.",
    },
    "app_privacy_note": {
        "zh": "上传的数据只保存在本会话的私有临时文件夹中，其他用户看不到；只有存入方案库的方案才会共享。",
        "en": "Uploads stay in this session's private temporary folder, invisible to other users; only runs saved to the library are shared.",
    },
    "app_error_input": {"zh": "无法继续：{message}", "en": "Cannot continue: {message}"},
    "app_error_unexpected": {
        "zh": "发生意外错误（{kind}）：{message}。页面其他部分仍可使用；请把此信息告诉开发人员。",
        "en": "Unexpected error ({kind}): {message}. The rest of the page still works; please tell the developers.",
    },
    "app_none": {"zh": "（无）", "en": "(none)"},
    "app_optional": {"zh": "可选", "en": "optional"},
    "app_reading": {
        "zh": "正在读取数据、计算出行时间……",
        "en": "Reading layers, computing travel times…",
    },
    # --- step 1: data ---------------------------------------------------------------------
    "app_data_source": {"zh": "数据来源", "en": "Data"},
    "app_source_demo": {"zh": "武汉演示数据", "en": "Wuhan demo"},
    "app_source_upload": {"zh": "上传我的图层", "en": "My own layers"},
    "app_demo_about": {
        "zh": "**武汉中心城区演示数据**：WorldPop 人口（500 米网格，CC BY 4.0）、OpenStreetMap 边界（ODbL）、"
        "微博签到地点作为候选站址（CC0）。故障记录和现有营业厅为**模拟数据**。",
        "en": "**Central Wuhan demo**: WorldPop population (500 m cells, CC BY 4.0), OpenStreetMap boundary (ODbL), "
        "Weibo check-in places as candidate sites (CC0). Fault records and existing centres are **SIMULATED**.",
    },
    "app_upload_intro": {
        "zh": "支持 GeoJSON、GeoPackage、压缩的 Shapefile（.zip，含 .shp/.shx/.dbf/.prj）、GeoParquet 和带经纬度列的 CSV。",
        "en": "GeoJSON, GeoPackage, zipped Shapefile (.zip with .shp/.shx/.dbf/.prj), GeoParquet, or CSV with longitude/latitude columns.",
    },
    "app_slot_population": {"zh": "人口", "en": "Population"},
    "app_slot_population_help": {
        "zh": "人口网格（面）或人口点，含人口数列。",
        "en": "Population cells (polygons) or points, with a column of people.",
    },
    "app_slot_residential": {"zh": "居住密度", "en": "Residential density"},
    "app_slot_residential_help": {
        "zh": "与人口相同的网格（按编号连接）或任意面/点（空间连接）。",
        "en": "The same cells (joined by id) or any polygons/points (joined by location).",
    },
    "app_slot_faults": {"zh": "故障记录", "en": "Fault records"},
    "app_slot_faults_help": {
        "zh": "故障/停电记录点，可含报修时间列（用于时间衰减）。",
        "en": "Fault/outage records as points, optionally with a timestamp column (for recency decay).",
    },
    "app_slot_candidates": {"zh": "候选站址", "en": "Candidate sites"},
    "app_slot_candidates_help": {
        "zh": "可能设立营业厅的地点（点），可含编号、名称和类别列。",
        "en": "Places where a centre could open (points), with id, name and category columns if any.",
    },
    "app_slot_existing": {"zh": "现有营业厅", "en": "Existing centres"},
    "app_slot_existing_help": {
        "zh": "现有营业厅（点）：作为现状基准，并可保留或允许关闭。",
        "en": "Today's centres (points): the baseline, kept open or allowed to close.",
    },
    "app_slot_roads": {"zh": "路网", "en": "Road network"},
    "app_upload_file": {"zh": "上传文件", "en": "Upload a file"},
    "app_upload_help": {"zh": "单个文件不超过 {mb} MB。", "en": "At most {mb} MB per file."},
    # the uploader's own words (Streamlit writes them in English; restyled on other pages)
    "app_upload_button": {"zh": "选择文件", "en": "Upload"},
    "app_upload_limit": {"zh": "每个文件不超过 {mb} MB", "en": "{mb}MB per file"},
    "app_uploaded": {"zh": "已上传：{name}（{size} MB）", "en": "Uploaded: {name} ({size} MB)"},
    "app_remove": {"zh": "移除", "en": "Remove"},
    "app_layer_in_file": {"zh": "文件中的图层", "en": "Layer in the file"},
    "app_crs": {"zh": "坐标系", "en": "Coordinate system"},
    "app_crs_help": {
        "zh": "文件自带坐标系时选“按文件”；来自高德/腾讯地图的坐标选 GCJ-02，来自百度的选 BD-09。",
        "en": "'As the file says' when the file has one; GCJ-02 for AutoNavi/Tencent coordinates, BD-09 for Baidu.",
    },
    "app_crs_auto": {"zh": "按文件", "en": "As the file says"},
    "app_crs_wgs84": {"zh": "WGS 84", "en": "WGS 84"},
    "app_crs_gcj02": {"zh": "GCJ-02（高德/腾讯）", "en": "GCJ-02 (AutoNavi/Tencent)"},
    "app_crs_bd09": {"zh": "BD-09（百度）", "en": "BD-09 (Baidu)"},
    "app_crs_cgcs2000": {"zh": "CGCS2000", "en": "CGCS2000"},
    "app_crs_epsg": {"zh": "EPSG 代码", "en": "EPSG code"},
    "app_epsg": {"zh": "EPSG 代码", "en": "EPSG code"},
    "app_epsg_needed": {
        "zh": "请输入 EPSG 代码，例如 4547。",
        "en": "Type an EPSG code, e.g. 4547.",
    },
    "app_lon_col": {"zh": "经度列", "en": "Longitude column"},
    "app_lat_col": {"zh": "纬度列", "en": "Latitude column"},
    "app_col_population_col": {"zh": "人口数列", "en": "Population column"},
    "app_col_pop65_col": {"zh": "65岁以上人口列", "en": "Residents 65+ column"},
    "app_col_population_id_col": {"zh": "网格编号列", "en": "Cell id column"},
    "app_col_residential_col": {"zh": "居住密度列", "en": "Density column"},
    "app_col_faults_time_col": {"zh": "报修时间列", "en": "Timestamp column"},
    "app_col_candidates_id_col": {"zh": "编号列", "en": "Id column"},
    "app_col_candidates_name_col": {"zh": "名称列", "en": "Name column"},
    "app_col_candidates_name_en_col": {"zh": "英文名称列", "en": "English name column"},
    "app_col_candidates_category_col": {"zh": "类别列", "en": "Category column"},
    "app_col_candidates_capacity_col": {"zh": "容量列", "en": "Capacity column"},
    "app_col_existing_id_col": {"zh": "编号列", "en": "Id column"},
    "app_col_existing_name_col": {"zh": "名称列", "en": "Name column"},
    "app_col_existing_name_en_col": {"zh": "英文名称列", "en": "English name column"},
    "app_col_existing_capacity_col": {"zh": "容量列", "en": "Capacity column"},
    "app_choose_one": {"zh": "请选择", "en": "Choose an option"},
    "app_choose_some": {"zh": "请选择（可多选）", "en": "Choose options"},
    "app_layer_read": {
        "zh": "读取 {n} 行；范围（经度, 纬度）{bbox}",
        "en": "{n} rows read; extent (lon, lat) {bbox}",
    },
    "app_generate_candidates": {
        "zh": "没有候选站址：在需求最密集的网格生成候选站址",
        "en": "No candidate sites: generate candidates at the densest demand cells",
    },
    "app_n_generated": {"zh": "生成的候选站址数", "en": "Candidates to generate"},
    "app_summary": {"zh": "数据概况", "en": "Summary"},
    "app_layer": {"zh": "图层", "en": "Layer"},
    "app_count": {"zh": "数量", "en": "Count"},
    "app_note": {"zh": "说明", "en": "Note"},
    "app_layer_population": {"zh": "需求点（人口网格）", "en": "Demand points (population cells)"},
    "app_layer_candidates": {"zh": "候选站址", "en": "Candidate sites"},
    "app_layer_existing": {"zh": "现有营业厅", "en": "Existing centres"},
    "app_layer_faults": {"zh": "故障记录", "en": "Fault records"},
    "app_total_population": {"zh": "总人口 {n}", "en": "total population {n}"},
    "app_hotspots": {"zh": "故障热点 {n} 个", "en": "{n} fault hotspots"},
    "app_bbox": {"zh": "范围（经度, 纬度）：{bbox}", "en": "Extent (lon, lat): {bbox}"},
    "app_problems": {"zh": "发现的问题：", "en": "Problems found:"},
    "app_no_problems": {"zh": "未发现问题。", "en": "No problems found."},
    "app_problem_faults_outside": {
        "zh": "{n} 条故障记录落在所有人口网格之外，未计入",
        "en": "{n} fault records lie outside every population cell and are not counted",
    },
    "app_problem_zero_population": {
        "zh": "{n} 个需求点人口为 0",
        "en": "{n} demand points have no population",
    },
    "app_problem_sites_outside": {
        "zh": "{n} 个站址远离需求区域（坐标系是否选错？）",
        "en": "{n} sites lie far outside the demand area (wrong coordinate system?)",
    },
    "app_problem_unroutable_demand": {
        "zh": "{n} 个需求点无法接入路网",
        "en": "{n} demand points could not be placed on the road network",
    },
    "app_problem_unroutable_sites": {
        "zh": "{n} 个站址无法接入路网",
        "en": "{n} sites could not be placed on the road network",
    },
    "app_problem_simulated": {
        "zh": "图层 {layer} 为模拟数据",
        "en": "layer {layer} holds SIMULATED data",
    },
    "app_sources": {"zh": "数据来源：", "en": "Sources:"},
    "app_inputs_map": {"zh": "输入数据地图", "en": "Map of the inputs"},
    "app_demand_weight": {"zh": "需求权重", "en": "Demand weight"},
    # --- step 2: demand ------------------------------------------------------------------
    "app_demand_intro": {
        "zh": "需求权重 = 人口、居住密度和故障热点三者按比例混合（以人口当量计）。地图随权重更新。",
        "en": "Demand weight blends population, residential density and fault hotspots (in population equivalents). The map follows the weights.",
    },
    "app_w_population": {"zh": "人口权重", "en": "Weight of population"},
    "app_w_residential": {"zh": "居住密度权重", "en": "Weight of residential density"},
    "app_w_faults": {"zh": "故障热点权重", "en": "Weight of fault hotspots"},
    "app_half_life": {
        "zh": "故障时间衰减半衰期（天，0 = 不衰减）",
        "en": "Fault recency half-life (days, 0 = none)",
    },
    "app_half_life_help": {
        "zh": "早于该天数的故障记录只计一半。",
        "en": "A fault record this many days old counts half.",
    },
    "app_hotspot_quantile": {"zh": "热点分位数", "en": "Hotspot quantile"},
    "app_cell_size": {
        "zh": "需求网格大小（米，0 = 使用人口图层的网格）",
        "en": "Demand cell size (m, 0 = the population layer's cells)",
    },
    "app_cell_size_note": {
        "zh": "把人口网格合并为此大小的方格（演示数据原为 500 米）：网格越粗，模型越小、求解越快。",
        "en": "Merge the population cells into squares of this size (500 m in the demo): coarser cells make a smaller model that solves faster.",
    },
    "app_weights_now": {
        "zh": "当前混合：人口 {pop}%、居住密度 {res}%、故障 {faults}%；故障热点 {hot} 个",
        "en": "Blend now: population {pop}%, residential {res}%, faults {faults}%; {hot} fault hotspots",
    },
    "app_weights_no_residential": {
        "zh": "没有居住密度图层：以人口密度（人/平方公里）代替。",
        "en": "No residential density layer: population density (people per km²) stands in.",
    },
    "app_weights_no_faults": {
        "zh": "没有故障记录：其权重按人口分布计入。",
        "en": "No fault records: their weight follows the population.",
    },
    # --- step 3: sites ----------------------------------------------------------------
    "app_categories": {"zh": "纳入的候选类别", "en": "Candidate categories to include"},
    "app_categories_help": {
        "zh": "只在这些类别的地点中选址。",
        "en": "Only places of these categories may become centres.",
    },
    "app_click_to_exclude": {
        "zh": "点击地图上的候选站址可将其排除（灰色）或恢复。",
        "en": "Click a candidate on the map to exclude it (grey) or bring it back.",
    },
    "app_excluded": {"zh": "已排除", "en": "excluded"},
    "app_exclude": {"zh": "排除的站址", "en": "Sites to exclude"},
    "app_exclude_help": {
        "zh": "这些站址不会被选中（例如已知无法租用）。",
        "en": "These sites are never chosen (e.g. known to be unavailable).",
    },
    "app_sites_count": {"zh": "可选候选站址：{n} 个", "en": "{n} candidate sites available"},
    "app_generated_sites": {
        "zh": "候选站址将在需求最密集的网格生成。",
        "en": "Candidate sites will be generated at the densest demand cells.",
    },
    "app_existing": {"zh": "现有营业厅", "en": "Existing centres"},
    "app_existing_policy": {"zh": "现有营业厅", "en": "Existing centres"},
    "app_policy_keep": {"zh": "全部保留", "en": "Keep them all"},
    "app_policy_may_close": {"zh": "允许关闭", "en": "Allow them to close"},
    "app_closable": {
        "zh": "其中允许关闭的营业厅",
        "en": "Of these, centres that may close",
    },
    # --- step 4: travel --------------------------------------------------------------
    "app_travel_method": {"zh": "出行时间计算方式", "en": "Travel time"},
    "app_travel_straight_line": {
        "zh": "直线距离 × 绕行系数",
        "en": "Straight line × detour factor",
    },
    "app_travel_network": {"zh": "道路网络", "en": "Road network"},
    "app_detour": {"zh": "绕行系数", "en": "Detour factor"},
    "app_detour_help": {
        "zh": "实际路程与直线距离之比（城区常取 1.3）。",
        "en": "Road distance over straight-line distance (1.3 is typical in cities).",
    },
    "app_speed": {"zh": "平均车速（公里/小时）", "en": "Average speed (km/h)"},
    "app_straight_note": {
        "zh": "未使用路网：出行时间为估算值。",
        "en": "No road network: travel times are estimates.",
    },
    "app_network_intro": {
        "zh": "上传路网：OSMnx 保存的 GraphML、OpenStreetMap 提取文件（.osm.pbf）或线图层（GeoPackage/GeoJSON）。",
        "en": "Upload a road network: GraphML saved by OSMnx, an OpenStreetMap extract (.osm.pbf) or a line layer (GeoPackage/GeoJSON).",
    },
    "app_road_mode": {"zh": "出行方式", "en": "Mode"},
    "app_mode_drive": {"zh": "驾车", "en": "Drive"},
    "app_mode_ebike": {"zh": "电动自行车", "en": "E-bike"},
    "app_mode_walk": {"zh": "步行", "en": "Walk"},
    "app_cutoff": {"zh": "最长出行时间（分钟）", "en": "Longest trip considered (min)"},
    # --- step 5: model --------------------------------------------------------------
    "app_model": {"zh": "选址模型", "en": "Location model"},
    "app_model_p_median": {"zh": "p-中位（总出行时间最小）", "en": "p-median (least total travel)"},
    "app_model_p_median_help": {
        "zh": "开设 p 个营业厅，使所有人的出行时间总和最小。",
        "en": "Open p centres so that everyone's travel time adds up to the least.",
    },
    "app_model_mclp": {"zh": "最大覆盖", "en": "Maximal covering"},
    "app_model_mclp_help": {
        "zh": "开设 p 个营业厅，使服务半径内的需求最多。",
        "en": "Open p centres to reach as much demand as possible within the service radius.",
    },
    "app_model_lscp": {"zh": "集合覆盖", "en": "Set covering"},
    "app_model_lscp_help": {
        "zh": "用最少的营业厅使所有需求都在服务半径内。",
        "en": "The fewest centres that bring all demand within the service radius.",
    },
    "app_model_p_center": {
        "zh": "p-中心（最远出行最短）",
        "en": "p-center (shortest longest trip)",
    },
    "app_model_p_center_help": {
        "zh": "开设 p 个营业厅，使最远的出行时间最短。",
        "en": "Open p centres so that the longest trip is as short as possible.",
    },
    "app_model_capacitated_p_median": {"zh": "有容量限制的 p-中位", "en": "Capacitated p-median"},
    "app_model_capacitated_p_median_help": {
        "zh": "与 p-中位相同，但每个营业厅服务的需求不超过其容量。",
        "en": "As p-median, but no centre serves more demand than its capacity.",
    },
    "app_model_facility_location": {"zh": "含成本的设施选址", "en": "Facility location with costs"},
    "app_model_facility_location_help": {
        "zh": "权衡开设成本与出行时间，可设预算上限。",
        "en": "Trades opening costs against travel time, within an optional budget.",
    },
    "app_p": {
        "zh": "营业厅总数 p（含保留的现有营业厅）",
        "en": "Number of centres p (today's kept ones included)",
    },
    "app_capacity": {
        "zh": "每个营业厅的容量（需求权重单位）",
        "en": "Capacity per centre (demand-weight units)",
    },
    "app_capacity_help": {
        "zh": "以人口当量计的服务能力。",
        "en": "How much demand (in population equivalents) one centre can serve.",
    },
    "app_opening_cost": {
        "zh": "新设营业厅成本（需求权重 × 分钟）",
        "en": "Cost of opening a centre (demand weight × min)",
    },
    "app_opening_cost_help": {
        "zh": "与目标同单位（人·分钟）；现有营业厅成本为 0。",
        "en": "In the objective's unit (person-minutes); existing centres cost nothing.",
    },
    "app_budget": {
        "zh": "预算（需求权重 × 分钟；0 = 不限）",
        "en": "Budget (demand weight × min; 0 = none)",
    },
    "app_budget_help": {
        "zh": "新设营业厅的总成本上限。",
        "en": "Upper limit on the total cost of new centres.",
    },
    "app_percentile_minutes": {
        "zh": "百分位标准：分钟内（0 = 不设）",
        "en": "Percentile standard: within minutes (0 = none)",
    },
    "app_percentile_share": {"zh": "需求占比（%）", "en": "Share of demand (%)"},
    "app_percentile_help": {
        "zh": "方案须使至少该比例的需求在此时间内到达营业厅（硬约束）。",
        "en": "The plan must serve at least this share of the demand within these minutes "
        "(a hard constraint).",
    },
    "app_max_sites": {"zh": "营业厅数量上限（0 = 不限）", "en": "Most centres (0 = no limit)"},
    "app_max_sites_help": {
        "zh": "最多开设的营业厅数（含现有的）；不限时由开设成本决定数量。",
        "en": "At most this many centres (existing ones included); with no limit the "
        "opening cost decides how many.",
    },
    "app_solver_method": {"zh": "求解方法", "en": "Method"},
    "method_part_exact": {"zh": "精确求解", "en": "exact"},
    "method_part_heuristic": {"zh": "启发式", "en": "heuristic"},
    "method_part_lagrangian": {"zh": "拉格朗日下界", "en": "Lagrangian bound"},
    "method_part_branch_and_bound": {"zh": "分支定界", "en": "branch and bound"},
    "method_part_set_cover_reduction": {"zh": "集合覆盖约简", "en": "set-cover reduction"},
    "method_part_binary_search": {"zh": "二分搜索", "en": "binary search"},
    "method_part_milp": {"zh": "混合整数规划", "en": "MILP"},
    "method_part_lagrangian_curve": {"zh": "拉格朗日曲线", "en": "Lagrangian curve"},
    "app_method_auto": {"zh": "自动", "en": "Automatic"},
    "app_method_exact": {"zh": "精确（可证明最优）", "en": "Exact (provably optimal)"},
    "app_method_heuristic": {"zh": "启发式（更快）", "en": "Heuristic (faster)"},
    "app_sweep_p": {
        "zh": "扫描 p：绘制营业厅数量—服务水平曲线",
        "en": "Sweep over p: draw the trade-off curve",
    },
    "app_sweep_help": {
        "zh": "对范围内每个 p 求解一次；每个点耗时与一次运行相当。",
        "en": "Solves once per p in the range; each point takes about as long as one run.",
    },
    "app_sweep_from": {"zh": "p 从", "en": "p from"},
    "app_sweep_to": {"zh": "到", "en": "to"},
    "app_standards": {"zh": "服务标准", "en": "Service standards"},
    "app_service_minutes": {"zh": "服务半径（分钟）", "en": "Service radius (min)"},
    "app_service_help": {
        "zh": "覆盖模型的覆盖半径，也是覆盖率指标的标准。",
        "en": "The covering models' radius and the standard of the coverage KPI.",
    },
    "app_service_minutes_2": {
        "zh": "第二服务半径（分钟，0 = 无）",
        "en": "Second service radius (min, 0 = none)",
    },
    "app_response_intro": {
        "zh": "抢修响应时间标准（分钟）：",
        "en": "Repair response standard (minutes):",
    },
    "app_enforce_hotspots": {
        "zh": "要求所有故障热点满足响应标准",
        "en": "Require every fault hotspot to meet the response standard",
    },
    "app_enforce_help": {
        "zh": "作为约束加入模型；无法满足时会说明原因。",
        "en": "Added to the model as a constraint; if it cannot be met the app says why.",
    },
}
