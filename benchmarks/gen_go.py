"""Generate a realistic Go file of about N lines for benchmarks.

The file mixes ordinary code (types, methods, loops, error handling) with the patterns golens
looks for, both the flagged and the correct forms: derived contexts with and without `defer
cancel()`, blocking net/http and database/sql calls with and without the Context variants,
tickers in goroutines, and HTTP handlers that sleep in loops. Deterministic for a given seed.

    python benchmarks/gen_go.py 5000 > /tmp/big.go
"""

import random
import sys

HEADER = """// Package service is generated benchmark input for golens.
package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

var errNotFound = errors.New("not found")
"""


def _struct(n: int, rnd: random.Random, flagged_share: float) -> str:
    fields = "\n".join(f"\tField{i} {rnd.choice(['int', 'string', 'float64', '[]byte', 'time.Duration'])}"
                       for i in range(rnd.randint(3, 7)))
    return f"""
// Record{n} is one row of table {n}; the comment mentions naïve café 😀 text on purpose.
type Record{n} struct {{
{fields}
	mu sync.Mutex
}}

func (r *Record{n}) Touch(delta int) int {{
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for i := 0; i < delta; i++ {{
		if i%3 == 0 {{
			continue
		}}
		total += i
	}}
	return total
}}
"""


def _lost_cancel(n: int, rnd: random.Random, flagged_share: float) -> str:
    flagged = rnd.random() < flagged_share
    cancel = "_" if flagged else "cancel"
    defer = "" if flagged else "\n\tdefer cancel()"
    return f"""
func load{n}(db *sql.DB, id int) (string, error) {{
	ctx, {cancel} := context.WithTimeout(context.Background(), {rnd.randint(1, 9)}*time.Second){defer}
	row := db.QueryRowContext(ctx, "SELECT name FROM t{n} WHERE id = ?", id)
	var name string
	if err := row.Scan(&name); err != nil {{
		if errors.Is(err, sql.ErrNoRows) {{
			return "", errNotFound
		}}
		return "", fmt.Errorf("load{n}: %w", err)
	}}
	return name, nil
}}
"""


def _blocking(n: int, rnd: random.Random, flagged_share: float) -> str:
    if rnd.random() < flagged_share:
        call = 'resp, err := http.Get(url)'
    else:
        call = ('req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)\n'
                '\tif err != nil {\n\t\treturn 0, err\n\t}\n\tresp, err := http.DefaultClient.Do(req)')
    return f"""
func fetch{n}(ctx context.Context, url string) (int, error) {{
	{call}
	if err != nil {{
		return 0, err
	}}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}}
"""


def _ticker(n: int, rnd: random.Random, flagged_share: float) -> str:
    if rnd.random() < flagged_share:
        loop = "\t\tfor range t.C {\n\t\t\tpoll" + str(n) + "()\n\t\t}"
    else:
        loop = ("\t\tdefer t.Stop()\n\t\tfor {\n\t\t\tselect {\n\t\t\tcase <-ctx.Done():\n\t\t\t\treturn\n"
                "\t\t\tcase <-t.C:\n\t\t\t\tpoll" + str(n) + "()\n\t\t\t}\n\t\t}")
    return f"""
func poll{n}() {{}}

func watch{n}(ctx context.Context) {{
	t := time.NewTicker(time.Duration({rnd.randint(1, 60)}) * time.Second)
	go func() {{
{loop}
	}}()
}}
"""


def _handler(n: int, rnd: random.Random, flagged_share: float) -> str:
    if rnd.random() < flagged_share:
        body = "\tfor {\n\t\ttime.Sleep(time.Second)\n\t\tfmt.Fprintf(w, \"tick\\n\")\n\t}"
    else:
        body = ("\tfor {\n\t\tselect {\n\t\tcase <-r.Context().Done():\n\t\t\treturn\n"
                "\t\tcase <-time.After(time.Second):\n\t\t\tfmt.Fprintf(w, \"tick\\n\")\n\t\t}\n\t}")
    return f"""
func stream{n}(w http.ResponseWriter, r *http.Request) {{
{body}
}}
"""


def generate(lines: int, seed: int = 1, first: int = 0, flagged_share: float = 0.3) -> str:
    """`first`: the number of the first generated declaration (Record{first}, load{first}, ...), so
    that files generated for one package declare different names; `flagged_share`: how many of the
    patterns are the flagged form."""
    rnd = random.Random(seed)
    parts = [HEADER]
    count = HEADER.count("\n")
    makers = [_struct, _lost_cancel, _blocking, _ticker, _handler]
    n = first
    while count < lines:
        chunk = makers[(n - first) % len(makers)](n, rnd, flagged_share)
        parts.append(chunk)
        count += chunk.count("\n")
        n += 1
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
