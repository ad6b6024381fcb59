package batch

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"lambdasql/sql/sqlstate"
)

// globFiles expands pattern to the sorted list of regular files it
// matches. A path element "**" matches zero or more directories; every
// other element follows path.Match. Directories are never returned.
func globFiles(pattern string) ([]string, error) {
	segs := strings.Split(filepath.ToSlash(pattern), "/")
	for _, s := range segs {
		if _, err := path.Match(s, ""); err != nil {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid file pattern %q: %v", pattern, err)
		}
	}
	var out []string
	if !strings.Contains(pattern, "**") {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid file pattern %q: %v", pattern, err)
		}
		for _, p := range m {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				out = append(out, p)
			}
		}
	} else {
		// Walk from the longest prefix without metacharacters.
		i := 0
		for i < len(segs)-1 && !hasMeta(segs[i]) {
			i++
		}
		base := strings.Join(segs[:i], "/")
		switch {
		case base == "" && strings.HasPrefix(pattern, "/"):
			base = "/"
		case base == "":
			base = "."
		}
		rest := segs[i:]
		root := filepath.FromSlash(base)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if !matchSegments(rest, strings.Split(filepath.ToSlash(rel), "/")) {
				return nil
			}
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.IOError)
		}
	}
	if len(out) == 0 {
		return nil, sqlstate.New(sqlstate.UndefinedFile, "could not open file %q: no such file or directory", pattern)
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// matchSegments matches path elements against pattern elements, "**"
// standing for any number of elements.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range name {
				if matchSegments(pat, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
