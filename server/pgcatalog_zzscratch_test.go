package server

import ("testing";"fmt";"strings";"lambdasql/exec")

func TestZZPgcatFCount(t *testing.T) {
	n, ops := 0, 0
	var names []string
	for _, name := range exec.FuncNames() {
		for _, f := range exec.Overloads(name) {
			if f.Infix || strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_' || r >= '0' && r <= '9') }) >= 0 {
				ops++
				continue
			}
			n++
		}
		names = append(names, name)
	}
	fmt.Println(n, ops, len(names))
	fmt.Println(strings.Join(names, " "))
}
