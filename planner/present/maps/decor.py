"""Legend, KPI panel and title of the plan map, and the travel note under it."""

from __future__ import annotations

from planner.evaluate.kpi_types import PlanKPIs
from planner.present.i18n import check_language, t
from planner.present.labels import kpi_label
from planner.present.maps.elements import (
    CLOSED_COLOUR,
    DENSITY_COLOURS,
    FREQUENCY_COLOURS,
    FREQUENCY_LABELS,
    KEPT_COLOUR,
    NEW_COLOUR,
    esc,
    fmt_int,
    fmt_number,
    fmt_share,
    js_literal,
)
from planner.travel.straight_line import TravelMatrix


def decor_js(
    title: str,
    legend: str,
    panel: str,
    attributions: list[str],
    bounds: list[list[float]],
    heat_var: str | None,
    *,
    lang: str = "en",
    open_boxes: bool | None = None,
) -> str:
    """Title, legend and KPI boxes, attributions, the fitted view and the heat disc size.

    The boxes fold (a button on each); on a small map (under 560 px high: comparisons, the
    report) the title is left out and the boxes start folded, unless ``open_boxes`` is True
    (False: folded on any map). The view is fitted inside the space
    the title and the boxes leave free, so no hall sits under a box.
    """
    labels = {"legend": t("legend", lang), "kpis": t("map_kpi_box", lang)}
    return (
        "var small=map.getContainer().clientHeight<560;"
        "var d=L.DomUtil.create('div','planner-title',map.getContainer());d.innerHTML="
        + js_literal(esc(title))
        + ";if(small||!d.innerHTML){d.style.display='none';}"
        "function box(pos,cls,h,name){var c=L.control({position:pos});c.onAdd=function(){"
        "var e=L.DomUtil.create('div','planner-box '+cls);"
        "var b=L.DomUtil.create('button','planner-fold',e);b.type='button';"
        "var body=L.DomUtil.create('div','planner-body',e);body.innerHTML=h;"
        "function set(open){body.style.display=open?'':'none';"
        "b.textContent=open?'\u2212':'+ '+name;b.title=name;"
        "b.setAttribute('aria-expanded',open?'true':'false');}"
        "b.onclick=function(){set(body.style.display==='none');};set("
        + ("!small" if open_boxes is None else js_literal(bool(open_boxes)))
        + ");"
        "L.DomEvent.disableClickPropagation(e);L.DomEvent.disableScrollPropagation(e);return e;};"
        "c.addTo(map);return c;}"
        "var boxes=[box('bottomright','planner-legend',"
        + js_literal(legend)
        + ","
        + js_literal(labels["legend"])
        + ")"
        + (
            ",box('bottomleft','planner-kpi-panel',"
            + js_literal(panel)
            + ","
            + js_literal(labels["kpis"])
            + ")"
            if panel
            else ""
        )
        + "];"
        + "".join(f"map.attributionControl.addAttribution({js_literal(a)});" for a in attributions)
        # Fitted after the layer control exists (it is added after this script): the view
        # keeps clear of the title and of every control. Each control in a corner can be
        # cleared above/below it or beside it; of those choices the one giving the largest
        # zoom wins (a tall legend on a wide map is cleared beside it, not above it).
        + "function fit(){var c=map.getContainer(),cr=c.getBoundingClientRect(),"
        "W=c.clientWidth,H=c.clientHeight,base={t:20,r:20,b:20,l:20},opts=[];"
        # On a small map the list of data sources takes one line (the base map's credit
        # first), the rest on hover: five lines of it covered a third of a comparison map.
        "var at=c.querySelector('.leaflet-control-attribution');"
        "if(small&&at){at.classList.add('planner-attribution-short');"
        "at.style.maxWidth=(W-10)+'px';at.title=at.textContent;}"
        "if(d.style.display!=='none'){base.t=d.offsetTop+d.offsetHeight+20;}"
        "c.querySelectorAll('.leaflet-control').forEach(function(e){"
        "var r=e.getBoundingClientRect();if(!r.width||!r.height){return;}"
        "var k=e.parentNode.classList,v=k.contains('leaflet-top')?'t':'b',"
        "h=k.contains('leaflet-left')?'l':'r';"
        "opts.push([[v,v==='t'?r.bottom-cr.top+20:cr.bottom-r.top+20],"
        "[h,h==='l'?r.right-cr.left+20:cr.right-r.left+20]]);});"
        "if(opts.length>10){opts=opts.slice(0,10);}"
        "var best=null,n=1<<opts.length;for(var m=0;m<n;m++){"
        "var p={t:base.t,r:base.r,b:base.b,l:base.l};"
        "opts.forEach(function(o,i){var s=o[(m>>i)&1];p[s[0]]=Math.max(p[s[0]],s[1]);});"
        "var w=W-p.l-p.r,hh=H-p.t-p.b;if(w<80||hh<80){continue;}"
        f"var z=map.getBoundsZoom({js_literal(bounds)},false,L.point(p.l+p.r,p.t+p.b));"
        "if(!best||z>best.z||(z===best.z&&w*hh>best.a)){best={z:z,a:w*hh,p:p};}}"
        "var q=best?best.p:{t:20,r:20,b:20,l:20};"  # tiny: better a box over a hall
        f"map.fitBounds({js_literal(bounds)},"
        "{paddingTopLeft:[q.l,q.t],paddingBottomRight:[q.r,q.b],animate:false});"
        # Marks the map as laid out (what a browser test waits for).
        "clear=q;c.setAttribute('data-planner-fitted','1');"
        + (
            # Disc size follows the data's size on screen, to match _heat_scale's grid.
            f"(function(h){{var b=L.latLngBounds({js_literal(bounds)}),"
            "a=map.latLngToContainerPoint(b.getSouthWest()),"
            "c=map.latLngToContainerPoint(b.getNorthEast()),"
            "r=Math.max(4,Math.min(40,Math.max(Math.abs(c.x-a.x),Math.abs(c.y-a.y))/50));"
            f"h.setOptions({{radius:r,blur:0.8*r,maxZoom:map.getZoom()}});}})({heat_var}.heat);"
            if heat_var
            else ""
        )
        + "declutter();}"
        + DECLUTTER_JS
        + f"map.fitBounds({js_literal(bounds)},{{padding:[20,20],animate:false}});"
        "setTimeout(fit,0);"
    )


#: The widest circle (pixels, radius) that overlapping halls are spread on: about 12 halls.
#: A larger crowd (a plan with 165 halls on a report-sized map) stays in place.
SPREAD_MAX_RADIUS_PX = 60

#: Halls that would overlap on screen are spread apart, so none hides another: after every
#: zoom (and layer switch), the halls (chosen centres, with the ring of a kept one, and
#: closed halls) whose markers touch in pixels are put on a circle around their group's
#: middle, just wide enough for the markers to sit side by side (the always-open form of
#: Leaflet.markercluster's spiderfy, which only opens on a click), each with a thin line to
#: its true place, marked by a dot. Groups that then touch merge and are spread again.
#: Popups and tooltips move with their marker; at a zoom where nothing touches, every
#: marker is at its own place again.
DECLUTTER_JS = (
    "var leaders=L.layerGroup().addTo(map),clear=null;"
    # Is a marker of radius r at layer point x inside the map and clear of every box (the
    # padding the fitted view keeps, less its 20 px margin)?
    "function free(x,r){var c=map.layerPointToContainerPoint(x),s=map.getSize(),"
    "k=clear||{t:20,r:20,b:20,l:20};return c.x-r>=k.l-20&&c.y-r>=k.t-20&&"
    "c.x+r<=s.x-k.r+20&&c.y+r<=s.y-k.b+20;}"
    "function declutter(){leaders.clearLayers();var halls=[],kept={};"
    "function home(l){if(!l._plannerHome){l._plannerHome=l.getLatLng();}return l._plannerHome;}"
    "function cls(l){var o=l.options;return (o.icon&&o.icon.options.className)||o.className||'';}"
    "map.eachLayer(function(l){if(l instanceof L.Marker&&/planner-centre/.test(cls(l))){"
    "var h={home:home(l),layers:[l],r:13};halls.push(h);"
    "if(/planner-centre-kept/.test(cls(l))){kept[h.home.lat+','+h.home.lng]=h;}}});"
    "map.eachLayer(function(l){if(!(l instanceof L.CircleMarker)||!/planner-existing/.test(cls(l)))"
    "{return;}var o=l.options,r=o.radius+(o.weight||0)/2+1,"
    "k=/planner-existing-kept/.test(cls(l))&&kept[home(l).lat+','+home(l).lng];"
    "if(k){k.layers.push(l);k.r=Math.max(k.r,r);}else{halls.push({home:home(l),layers:[l],r:r});}});"
    "var n=halls.length,p=halls.map(function(h){return map.latLngToLayerPoint(h.home);}),"
    "q=p.map(function(x){return x.clone();}),g=halls.map(function(h,i){return i;});"
    "function root(i){while(g[i]!==i){i=g[i];}return i;}"
    "for(var it=0;it<n;it++){var merged=false;"
    "for(var i=0;i<n;i++){for(var j=i+1;j<n;j++){var a=root(i),b=root(j);"
    "if(a!==b&&q[i].distanceTo(q[j])<halls[i].r+halls[j].r+2){g[b]=a;merged=true;}}}"
    "if(!merged){break;}var groups={};"
    "for(i=0;i<n;i++){(groups[root(i)]=groups[root(i)]||[]).push(i);}"
    "Object.keys(groups).forEach(function(key){var m=groups[key];if(m.length<2){return;}"
    "var c=L.point(0,0),rmax=0;m.forEach(function(i){c=c.add(p[i]);rmax=Math.max(rmax,halls[i].r);});"
    "c=c.divideBy(m.length);"
    "function ang(i){var d=p[i].subtract(c);return d.x||d.y?Math.atan2(d.y,d.x):0;}"
    "m.sort(function(x,y){return ang(x)-ang(y)||x-y;});"
    "var R=(rmax+1)/Math.sin(Math.PI/m.length),a0=ang(m[0]);"
    "var at=m.map(function(i,k){var t=a0+2*Math.PI*k/m.length;"
    "return c.add(L.point(R*Math.cos(t),R*Math.sin(t)));});"
    # A crowd too large to spread nearby, or a circle reaching under a box or off the
    # map, stays as it is (its smaller groups spread as before): halls on one another
    # beat halls out of sight.
    f"if(R>{SPREAD_MAX_RADIUS_PX}||!at.every(function(x){{return free(x,rmax);}})){{return;}}"
    "m.forEach(function(i,k){q[i]=at[k];});});}"
    "halls.forEach(function(h,i){var at=h.home;"
    "if(q[i].distanceTo(p[i])>0.5){at=map.layerPointToLatLng(q[i]);"
    "L.polyline([h.home,at],{color:'#222',weight:1.5,opacity:0.8,interactive:false})"
    ".addTo(leaders);L.circleMarker(h.home,{radius:2.5,color:'#222',weight:1,fillColor:'#fff',"
    "fillOpacity:1,interactive:false,className:'planner-hall-home'}).addTo(leaders);}"
    "h.layers.forEach(function(l){l.setLatLng(at);});});}"
    "map.on('zoomend overlayadd overlayremove',declutter);"
)


def present_layers(has_heat: bool, has_cand: bool, has_existing: bool) -> set[str]:
    present = {"population", "catchments", "centres", "allocation", "service"}
    if has_heat:
        present.add("faults")
    if has_cand:
        present.add("candidates")
    if has_existing:
        present.add("existing")
    return present


def legend_html(
    lang: str,
    breaks: list[float],
    density_unit: str,
    has_heat: bool,
    has_cand: bool,
    has_existing: bool,
    warnings_html: list[str],
    *,
    has_frequency: bool = False,
) -> str:
    parts = [f"<h4>{esc(t('legend', lang))}</h4>"]
    parts.append(f"<div><b>{esc(t('layer_population', lang))}</b> ({esc(density_unit)})</div>")
    edges = [0.0, *breaks]
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{fmt_int(lo)} – {fmt_int(hi)}" if hi is not None else f"≥ {fmt_int(lo)}"
        colour = DENSITY_COLOURS[min(i, len(DENSITY_COLOURS) - 1)]
        parts.append(
            f'<div><span class="planner-swatch" style="background:{colour}"></span>{esc(label)}</div>'
        )
    parts.append(
        f'<div><span class="planner-sym" style="color:{NEW_COLOUR}">&#9632;</span>'
        f"{esc(t('legend_new_centre', lang))}</div>"
    )
    if has_existing:
        parts.append(
            f'<div><span class="planner-sym" style="color:{KEPT_COLOUR}">&#9632;</span>'
            f"{esc(t('legend_kept_centre', lang))}</div>"
            f'<div><span class="planner-sym" style="color:{CLOSED_COLOUR}">&#9676;</span>'
            f"{esc(t('legend_closed_centre', lang))}</div>"
        )
    if has_cand:
        parts.append(
            f'<div><span class="planner-sym" style="color:#666">&#9675;</span>'
            f"{esc(t('legend_candidate', lang))}</div>"
        )
    parts.append(
        f'<div><span class="planner-swatch" style="background:rgba(31,120,180,0.25);'
        f'border-color:#1f78b4"></span>{esc(t("layer_catchments", lang))}</div>'
    )
    if has_heat:
        parts.append(
            '<div><span class="planner-swatch" style="background:linear-gradient(90deg,blue,lime,'
            f'yellow,red)"></span>{esc(t("legend_heat", lang))}</div>'
        )
    if has_frequency:
        parts.append(
            f'<div class="planner-freq-title"><b>{esc(t("layer_robustness", lang))}</b> '
            f"({esc(t('legend_robustness', lang))})</div>"
        )
        dots = []
        for k, (colour, label) in enumerate(zip(FREQUENCY_COLOURS, FREQUENCY_LABELS, strict=True)):
            size = 8 + 2 * k  # grows like the circles on the map
            dots.append(
                f'<span class="planner-freq-item"><span class="planner-dot" style="width:{size}px;'
                f'height:{size}px;background:{colour}"></span>{esc(label)}</span>'
            )
        parts.append(f'<div class="planner-freq">{"".join(dots)}</div>')
    for w in warnings_html:
        parts.append(f'<div class="planner-warning">&#9888; {esc(w)}</div>')
    return "".join(parts)


def kpi_panel_html(
    lang: str,
    kpis: PlanKPIs | None,
    baseline: PlanKPIs | None,
    travel_note: str | None,
    asg_note: str | None,
) -> str:
    if kpis is None and not travel_note:
        return ""
    parts = [f"<h4>{esc(t('kpi_panel_title', lang))}</h4>"]
    if kpis is not None:
        a = kpis.summary()
        b = baseline.summary() if baseline is not None else None
        keys = ["n_centres", "mean_minutes", "p90_minutes", "max_minutes"]
        first = kpis.standards.service_minutes[0] if kpis.standards.service_minutes else None
        if first is not None:
            keys += [f"within_{first:g}min_share"]
            if a.get(f"within_{first:g}min_share_65plus") is not None:
                keys += [f"within_{first:g}min_share_65plus"]
        keys += ["zone_standard_share"]
        if a.get("faults_within_response_share") is not None:
            keys += ["faults_within_response_share"]
        if (a.get("unserved_share") or 0.0) > 0:
            keys += ["unserved_share"]
        head = f"<tr><th></th><th>{esc(t('kpi_plan', lang))}</th>"
        if b is not None:
            head += f"<th>{esc(t('kpi_baseline', lang))}</th>"
        head += "</tr>"
        rows = []
        for key in keys:
            cells = [esc(kpi_label(key, lang)), _fmt_kpi(key, a.get(key))]
            if b is not None:
                cells.append(_fmt_kpi(key, b.get(key)))
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append(f"<table>{head}{''.join(rows)}</table>")
    if travel_note:
        parts.append(f'<div class="planner-note">{esc(travel_note)}</div>')
    if asg_note:
        parts.append(f'<div class="planner-note">{esc(asg_note)}</div>')
    return "".join(parts)


def _fmt_kpi(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if "share" in key:
        return fmt_share(value)
    if key == "n_centres":
        return str(int(value))
    return fmt_number(value, 1)


def travel_note_text(travel: TravelMatrix, language: str = "zh") -> str:
    """How travel was measured, in ``language``, for the map's KPI panel and reports.

    Straight-line travel gets the translated note (detour factor and speed, "no road
    network"); network travel keeps ``travel.note``.
    """
    lang = check_language(language)
    if travel.method == "straight_line" and travel.detour_factor is not None:
        return t(
            "note_straight_line",
            lang,
            detour=f"{travel.detour_factor:g}",
            speed=f"{(travel.speed_kmh or 0.0):g}",
        )
    return travel.note
