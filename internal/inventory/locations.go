package inventory

import "strings"

// countries holds the officially assigned ISO 3166-1 alpha-2 codes. A
// location tells persons where their information is kept (P 8, P 17; A 65,
// A 70.1), so a made-up code would hide a communication outside Quebec.
const countries = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

// provinces holds the ISO 3166-2:CA codes of Canada's provinces and
// territories. Quebec is told apart because Law 25 treats every other
// place, the rest of Canada included, as outside Quebec.
const provinces = "AB BC MB NB NL NS NT NU ON PE QC SK YT"

// Quebec is the location code of Quebec.
const Quebec = "CA-QC"

// ValidLocation reports whether loc is an ISO 3166-1 alpha-2 country code
// or a Canadian subdivision written CA-XX.
func ValidLocation(loc string) bool {
	if sub, ok := strings.CutPrefix(loc, "CA-"); ok {
		return provinceSet[sub]
	}
	return countrySet[loc]
}

var countrySet, provinceSet = codeSet(countries), codeSet(provinces)

func codeSet(codes string) map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(codes) {
		m[c] = true
	}
	return m
}

// OutsideQuebec reports whether loc names a place outside Quebec, where
// communicating personal information first requires a PIA (P 17, A 70.1).
func OutsideQuebec(loc string) bool { return loc != Quebec }
