"""Labels of the app's checks beside its fields, before Run (:mod:`planner.app.checks`): what
a value means (``app_note_*``) and what is wrong with it (``app_check_*``), with the Data
step's encoding and the Travel step's snapping fields they sit under."""

from __future__ import annotations

from typing import Final

APP_CHECK_LABELS: Final[dict[str, dict[str, str]]] = {
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
    "app_check_lscp_radius": {
        "zh": "集合覆盖要求每个需求点都在 {radius} 分钟内：有 {n} 个需求点做不到；半径至少需 {least} 分钟，或增加候选站址。",
        "en": "Set covering must reach every demand point within {radius} min: {n} cannot be; "
        "use at least {least} min, or add candidate sites.",
    },
    "app_check_lscp_unreachable": {
        "zh": "有 {n} 个需求点在出行时间上限内没有任何站址，集合覆盖无解：请增加候选站址或放宽出行上限。",
        "en": "{n} demand point(s) have no site within the travel cut-off, so no cover exists: "
        "add candidate sites or raise the cut-off.",
    },
    "app_check_percentile_unreachable": {
        "zh": "即使开设所有站址，{minutes} 分钟内也只能服务 {got}% 的需求，达不到 {share}%："
        "请降低需求占比或放宽分钟数，或增加候选站址。",
        "en": "Even with every site open only {got} % of the demand is within {minutes} min, "
        "short of {share} %: lower the share or allow more minutes, or add candidate sites.",
    },
    "app_check_capacity_needed": {
        "zh": "请填写每个营业厅的容量（需求权重单位，至少约 {each}）。",
        "en": "Enter the capacity of each centre (demand-weight units; at least about {each}).",
    },
    "app_check_capacity_short": {
        "zh": "{p} 个营业厅 × 容量 {cap} = {room}，小于总需求 {total}，缺口 {short}：请提高容量或 p。",
        "en": "{p} centres × capacity {cap} = {room}, less than the total demand {total}: "
        "short by {short}; raise the capacity or p.",
    },
    "app_check_capacity_short_sites": {
        "zh": "容量最大的 {p} 个营业厅（含必须保留的）合计容量 {room}，小于总需求 {total}，"
        "缺口 {short}：请提高容量或 p。",
        "en": "The {p} centres with the most capacity (those that must stay open included) hold "
        "{room} together, less than the total demand {total}: short by {short}; raise "
        "capacities or p.",
    },
    "app_note_capacity_col": {
        "zh": "{n} 个站址的容量取自“数据”步骤的容量列；此处的值只用于容量列为空的 {empty} 个站址。",
        "en": "{n} sites take their capacity from the capacity column (Data step); this value "
        "is used only for the {empty} sites whose capacity is empty there.",
    },
    "app_note_capacity_col_all": {
        "zh": "全部 {n} 个站址的容量取自“数据”步骤的容量列；此处的值不会用到。",
        "en": "All {n} sites take their capacity from the capacity column (Data step); this "
        "value is not used.",
    },
    "app_check_capacity_point": {
        "zh": "最大的需求点有 {load}，超过最大的营业厅容量 {cap}；一个需求点只能由一个营业厅服务："
        "请把容量提高到至少 {load}。",
        "en": "The largest demand point carries {load}, more than the largest capacity {cap}; one "
        "point is served by one centre: raise the capacity to at least {load}.",
    },
    "app_check_capacity_some_missing": {
        "zh": "有 {n} 个站址的容量列为空：请在此填写容量（用于这些站址），或在文件中补齐。",
        "en": "{n} site(s) have no capacity in the capacity column: enter a capacity here "
        "(used for them), or fill the column in the file.",
    },
    "app_note_capacity_values": {
        "zh": "容量 {low} – {high}（需求权重单位），合计 {total}；{empty} 个为空，用第 5 步“模型”中的容量。",
        "en": "Capacities {low} – {high} (demand-weight units), {total} in all; {empty} empty "
        "ones take the capacity of step 5 (Model).",
    },
    "app_note_capacity_values_all": {
        "zh": "容量 {low} – {high}（需求权重单位），合计 {total}。",
        "en": "Capacities {low} – {high} (demand-weight units), {total} in all.",
    },
    "app_check_capacity_values": {
        "zh": "有 {n} 行的容量不是大于 0 的数（第 {rows} 行）：容量须为大于 0 的数，留空则用第 5 步“模型”中的容量。",
        "en": "{n} row(s) hold a capacity that is not a number > 0 (rows {rows}): a capacity "
        "must be a number > 0; leave it empty to use the capacity of step 5 (Model).",
    },
    "app_note_fl_capacity": {
        "zh": "全部 {n} 个站址在“数据”步骤选了容量列：每个营业厅服务的需求不超过其容量。",
        "en": "All {n} sites have a capacity (capacity column, Data step): no centre serves more "
        "demand than its capacity.",
    },
    "app_check_heuristic_limits": {
        "zh": "“启发式”方法不能保证故障热点的响应时限或百分位服务标准：请选择“自动”或“精确”，"
        "或取消这些硬性要求。",
        "en": "The heuristic method cannot keep the hotspot response limits or a percentile "
        "standard: choose Automatic or Exact, or drop those hard limits.",
    },
    "app_note_model_kept": {
        "zh": "场景文件中的以下设置在本页没有对应字段，运行时照原样使用（换用其他模型后不再适用）：{items}",
        "en": "Kept from the scenario file, with no field on this page, and used as they are by "
        "Run (until another model is chosen): {items}",
    },
    "app_check_fl_capacity_partial": {
        "zh": "有 {n} 个站址的容量列为空：设施选址要么全部站址都有容量，要么都没有；"
        "请在文件中补齐，或在“数据”步骤不选容量列。",
        "en": "{n} site(s) have no capacity in the capacity column: facility location needs a "
        "capacity for every site or for none; fill the column, or choose no capacity column "
        "(Data step).",
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
    "app_missing_population": {
        "zh": "请上传人口图层（第 1 步“数据”），或使用演示数据。",
        "en": "To continue, upload a population layer (step 1, Data) or use the demo data.",
    },
    "app_missing_population_col": {
        "zh": "请在人口图层中选择人口数列（第 1 步“数据”）。",
        "en": "To continue, choose the population layer's column of people (step 1, Data).",
    },
    "app_missing_residential_col": {
        "zh": "请在居住密度图层中选择密度列（第 1 步“数据”）。",
        "en": "To continue, choose the residential layer's density column (step 1, Data).",
    },
    "app_missing_candidates": {
        "zh": "请上传候选站址，或勾选“在需求最密集的网格生成候选站址”（第 1 步“数据”）。",
        "en": "To continue, upload candidate sites, or tick 'generate candidates at the densest "
        "demand cells' (step 1, Data).",
    },
    "app_missing_roads": {
        "zh": "请上传路网（第 4 步“出行”），或改用直线距离。",
        "en": "To continue, upload a road network (step 4, Travel) or use straight lines.",
    },
    "app_summary_after_fix": {
        "zh": "请先修正上方标红的设置，再显示数据概况。",
        "en": "Fix the settings marked red above to see the summary.",
    },
    "app_missing_weights": {
        "zh": "人口、居住密度和故障三项权重都是 0：请至少把一项调到大于 0（第 2 步“需求”）。",
        "en": "The population, residential and fault weights are all 0: set at least one above 0 "
        "(step 2, Demand).",
    },
    "app_missing_epsg": {
        "zh": "已选“EPSG 代码”：请填写代码，例如 4547（第 1 步“数据”）。",
        "en": "'EPSG code' is chosen: type the code, e.g. 4547 (step 1, Data).",
    },
    "app_note_p_none_today": {
        "zh": "p 是方案中营业厅的总数（未提供现有营业厅）；可选站址共 {sites} 个。",
        "en": "p is the number of centres of the plan (no existing centres given); {sites} sites "
        "to choose from.",
    },
    "app_note_found": {"zh": "按列名找到：{col}。", "en": "Found by its name: {col}."},
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
    "app_check_datum_undecided": {
        "zh": "需求网格相距约 {spacing} 米，无法据人口分布判断这些点是 WGS 84 还是网络地图坐标"
        "（按 GCJ-02 读取相差约 {m} 米）：若来自高德/腾讯请选 GCJ-02，来自百度请选 BD-09；"
        "若确为 WGS 84，请选 WGS 84。",
        "en": "The demand cells are about {spacing} m apart, too coarse to tell from where people "
        "live whether these points are WGS 84 or web-map coordinates (GCJ-02 would put them "
        "about {m} m off): if they come from AutoNavi/Tencent choose GCJ-02, from Baidu BD-09; "
        "if they are true WGS 84, choose WGS 84.",
    },
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
    "app_check_no_sites_left": {
        "zh": "没有剩下可选的候选站址（{n} 个中 {excluded} 个被排除，其余不在所选类别中）："
        "请至少保留一个类别的站址，或从排除列表中移除一些。",
        "en": "No candidate site is left ({excluded} of {n} excluded, the rest outside the "
        "chosen categories): keep the sites of at least one category, or take some off the "
        "exclusion list.",
    },
    "app_column": {"zh": "列", "en": "column"},
    # --- an uploaded file that cannot be read (planner.app.messages; reasons of DataError) ---
    "app_read_zip_invalid": {
        "zh": "{file} 不是有效的 zip 压缩包。请把 Shapefile 的 .shp、.shx、.dbf、.prj 文件一起重新压缩，再上传这个 zip。",
        "en": "{file} is not a valid zip file. Zip the Shapefile's .shp, .shx, .dbf and .prj files together and upload that zip.",
    },
    "app_read_zip_no_shp": {
        "zh": "压缩包 {file} 中没有 .shp 文件。请把 Shapefile 的 .shp、.shx、.dbf、.prj 文件一起压缩后上传。",
        "en": "The zip {file} holds no .shp file. Zip the Shapefile's .shp, .shx, .dbf and .prj files together and upload that.",
    },
    "app_read_zip_parts_missing": {
        "zh": "压缩包 {file} 中的 Shapefile「{layer}」缺少 {parts} 文件。请把这些文件一起放进压缩包，再上传。",
        "en": "In the zip {file}, the Shapefile '{layer}' lacks its {parts} file(s). Add them to the zip and upload it again.",
    },
    "app_read_zip_member_damaged": {
        "zh": "压缩包 {file} 中的 {member} 已损坏，无法读取。请重新压缩 Shapefile 的各个文件后上传。",
        "en": "In the zip {file}, {member} is damaged. Zip the Shapefile's files again and upload the new zip.",
    },
    "app_read_zip_member_refused": {
        "zh": "压缩包 {file} 中的 {member} 不予读取（指向其他位置的数据、虚拟路径或非图层文件）。压缩包中只放 Shapefile 本身的 .shp、.shx、.dbf、.prj、.cpg 文件。",
        "en": "In the zip {file}, {member} is not accepted (it points to data elsewhere, a virtual path, or is not a layer file). Zip only the Shapefile's own .shp, .shx, .dbf, .prj and .cpg files.",
    },
    "app_read_zip_member_outside": {
        "zh": "压缩包 {file} 中的 {member} 会解压到其文件夹之外（绝对路径或“..”），不予读取。请不带文件夹重新压缩各个文件后上传。",
        "en": "In the zip {file}, {member} would unpack outside its folder (an absolute path or '..'), which is refused. Zip the files again without folders and upload that.",
    },
    "app_read_several_layers": {
        "zh": "{file} 中有多个图层（{layers}）。请在“文件中的图层”中选择一个。",
        "en": "{file} holds several layers ({layers}). Choose one under 'Layer in the file'.",
    },
    "app_read_encoding_fails": {
        "zh": "无法按所选编码读取 {file} 中的文字。请在“文字编码”中改选另一种（中文文件常为 GBK/GB18030）。",
        "en": "The text in {file} cannot be read in the chosen encoding. Choose another under 'Text encoding' (Chinese files are often GBK/GB18030).",
    },
    "app_read_encoding_unknown": {
        "zh": "“{encoding}”不是文字编码。请在“文字编码”中选择 UTF-8 或 GBK（GB18030）。",
        "en": "'{encoding}' is not a text encoding. Choose UTF-8 or GBK (GB18030) under 'Text encoding'.",
    },
    "app_read_csv_unreadable": {
        "zh": "{file} 不是可读取的 CSV 表格（逗号分隔、首行为列名）。请从表格软件中另存为 CSV 后上传。",
        "en": "{file} is not a readable CSV table (comma-separated, column names on the first line). Save it as CSV from the spreadsheet and upload it again.",
    },
    "app_read_unknown_format": {
        "zh": "不支持 {file} 的文件类型（{suffix}）。请上传 .geojson、.gpkg、.zip（压缩的 Shapefile）、.parquet 或 .csv 文件。",
        "en": "The file type of {file} ({suffix}) is not supported. Upload a .geojson, .gpkg, .zip (zipped Shapefile), .parquet or .csv file.",
    },
    "app_read_content_mismatch": {
        "zh": "{file} 的内容与其扩展名不符。请在 GIS 软件（如 QGIS）中按该格式重新导出后上传。",
        "en": "The content of {file} does not match its file type. Export the layer again in that format (e.g. from QGIS) and upload it.",
    },
    "app_read_virtual_dataset": {
        "zh": "{file} 不是图层，而是 GDAL VRT 等数据集描述（指向别处的文件、网址或虚拟路径），规划工具不会打开它。请上传图层本身的文件（如在 QGIS 中导出为 GeoPackage）。",
        "en": "{file} is not a layer but a GDAL VRT or other dataset description (pointing at other files, URLs or virtual paths), which the planner does not open. Upload the layer's own file (e.g. export it from QGIS as a GeoPackage).",
    },
    "app_read_unreadable": {
        "zh": "无法读取 {file}（文件可能已损坏或导出不完整）。请在 GIS 软件（如 QGIS）中重新导出后上传。",
        "en": "{file} cannot be read (it may be damaged or incompletely exported). Export the layer again (e.g. from QGIS) and upload it.",
    },
    "app_read_stored_query": {
        "zh": "{file} 中的「{layer}」是保存在文件里的查询（视图），规划工具不执行它。请把图层另存为普通表格（如在 QGIS 中重新导出）后上传。",
        "en": "'{layer}' in {file} is a query stored in the file (a view), which the planner does not run. Save the layer as a plain table (e.g. export it again from QGIS) and upload it.",
    },
    "app_read_layer_empty": {
        "zh": "{file} 的图层没有任何数据行。请上传含数据的图层。",
        "en": "The layer in {file} has no rows. Upload a layer with data.",
    },
    "app_read_rows_without_geometry": {
        "zh": "{file} 中有 {n} 行没有位置（几何为空）。请在 GIS 软件中删除或补全这些行后上传。",
        "en": "{n} row(s) of {file} have no location (empty geometry). Delete or fix them in your GIS and upload the layer again.",
    },
    "app_read_no_crs": {
        "zh": "{file} 没有说明其坐标系（缺少 .prj）。请在上方“坐标系”中选择它的坐标系（如 WGS 84、CGCS2000 或 EPSG 代码）。",
        "en": "{file} does not say its coordinate system (no .prj). Choose it under 'Coordinate system' above (e.g. WGS 84, CGCS2000 or an EPSG code).",
    },
    "app_read_crs_conflict": {
        "zh": "{file} 自带坐标系 {file_crs}，与所选的坐标系不同。请在“坐标系”中选择“按文件”，或修正文件。",
        "en": "{file} says its coordinate system is {file_crs}, not the one chosen. Choose 'As the file says' under 'Coordinate system', or fix the file.",
    },
    "app_read_coordinates_out_of_range": {
        "zh": "{file} 的坐标超出经纬度范围（x {x}，y {y}）。经度列与纬度列是否选反了，或坐标系选错了？",
        "en": "The coordinates of {file} are outside longitude/latitude (x {x}, y {y}). Are the longitude and latitude columns swapped, or the coordinate system wrong?",
    },
    "app_read_coordinates_not_numbers": {
        "zh": "{file} 的坐标列「{lon}」/「{lat}」在第 {rows} 行为空或不是数字。请修正或删除这些行后重新上传，或选择其他坐标列。",
        "en": "The coordinate columns '{lon}'/'{lat}' of {file} are empty or not numbers on line(s) {rows}. Fix or delete those lines and upload again, or choose other columns.",
    },
    "app_read_column_missing": {
        "zh": "{file} 中没有列「{column}」（{field}）。现有的列：{columns}。请在下方的列表中重新选择。",
        "en": "{file} has no column '{column}' ({field}). Its columns: {columns}. Choose again in the list below.",
    },
    "app_read_coordinate_column_missing": {
        "zh": "在 {file} 中找不到{axis}（查找过 {names}）。请在“{axis}”中选择它。",
        "en": "No {axis} found in {file} (looked for {names}). Choose it under '{axis}'.",
    },
    "app_read_no_numeric_column": {
        "zh": "{file} 中没有一列是数字（或没有可用的数据行）。请上传含数字列（如人口数）的图层。",
        "en": "No column of {file} holds numbers (or it has no usable rows). Upload a layer with a numeric column (such as the number of people).",
    },
    "app_read_file_empty": {
        "zh": "{file} 是空文件。请上传含数据的文件。",
        "en": "{file} is empty. Upload the file with its data.",
    },
    "app_read_file_too_big": {
        "zh": "{file} 为 {mb} MB，超过上传上限 {limit_mb} MB。请把图层裁剪到研究区域后上传（或请管理员调高上限 PLANNER_MAX_UPLOAD_MB）。",
        "en": "{file} is {mb} MB, over the {limit_mb} MB upload limit. Clip the layer to the study area and upload it (or ask the administrator to raise PLANNER_MAX_UPLOAD_MB).",
    },
}
