package budget

// Kinds of Reason, why an item is left out of a schedule.
const (
	// OutNoValue: the item has neither Value nor Fill, so building it
	// gains nothing.
	OutNoValue = "no_value"
	// OutAfter: its prerequisite is left out (After names it), or is built
	// in AfterYear and no year from then on has room for the item although
	// an earlier one has (Short lists the years from AfterYear on).
	OutAfter = "after"
	// OutBudget: in no year it may take is enough of the yearly budget
	// left (Short lists each year).
	OutBudget = "budget"
	// OutCap: some year has enough of the yearly budget left, but a
	// per-source budget or the township cap has not (Short lists, per
	// year, the first row that cannot hold it).
	OutCap = "cap"
	// OutNotChosen: the item fits in some year, but the search stopped
	// (ctx or the time limit) before it could be added.
	OutNotChosen = "not_chosen"
)

// Reason says why an item is left out of the schedule.
type Reason struct {
	Kind      string
	After     string      // OutAfter: the prerequisite's Key
	AfterYear int         // OutAfter: the prerequisite's plan year; 0 when it is left out too
	Short     []Shortfall // OutBudget, OutCap, OutAfter with AfterYear: the years the item may take
}

// Shortfall is a budget row that cannot hold an item in a year.
type Shortfall struct {
	Year    int
	Row     string  // the row, e.g. "2016 年度预算", "2016 年乡镇 430682100 投资上限"
	LeftWan float64 // what is left of it (≥ 0)
	NeedWan float64 // what the item needs of it
}

// reasons says why each item that s leaves out is left out. The yearly
// budget is named before a side row when both are short, so that a
// shortfall on the yearly budget reads as such; the years tried are those
// the item's prerequisite allows. Items are judged by their Value and
// Fill in in, whatever values the search used.
func (p *problem) reasons(s *schedule, in Input) map[string]Reason {
	worth := make(map[string]bool, len(in.Items))
	for _, it := range in.Items {
		worth[it.Key] = it.Value > 0 || it.Fill > 0
	}
	out := map[string]Reason{}
	for i, key := range p.keys {
		if s.year[i] >= 0 {
			continue
		}
		if !worth[key] {
			out[key] = Reason{Kind: OutNoValue}
			continue
		}
		lo := 0
		if pa := p.parent[i]; pa >= 0 {
			if s.year[pa] < 0 {
				out[key] = Reason{Kind: OutAfter, After: p.keys[pa]}
				continue
			}
			lo = s.year[pa]
		}
		r := Reason{Kind: OutBudget}
		for t := lo; t < p.T && r.Kind != OutNotChosen; t++ {
			switch sf, ok := p.shortfall(s, i, t); {
			case !ok:
				r = Reason{Kind: OutNotChosen}
			default:
				r.Short = append(r.Short, sf)
				if sf.Row != p.rowLabel[t] {
					r.Kind = OutCap
				}
			}
		}
		if r.Kind != OutNotChosen && lo > 0 {
			for t := range lo {
				if _, ok := p.shortfall(s, i, t); !ok {
					r.Kind, r.After, r.AfterYear = OutAfter, p.keys[p.parent[i]], p.years[lo]
					break
				}
			}
		}
		if r.Kind == OutNotChosen {
			r.Short = nil
		}
		out[key] = r
	}
	return out
}

// shortfall returns the first row that cannot hold item i (not built) in
// year t, the yearly budget first, or false when every row can.
func (p *problem) shortfall(s *schedule, i, t int) (Shortfall, bool) {
	for _, tm := range p.terms[i*p.T+t] { // terms[…][0] is the yearly budget
		if s.used[tm.row]+tm.amt > p.rowLim[tm.row] {
			return Shortfall{Year: p.years[t], Row: p.rowLabel[tm.row],
				LeftWan: max(p.rowCap[tm.row]-s.used[tm.row], 0), NeedWan: tm.amt}, true
		}
	}
	return Shortfall{}, false
}
