package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"vigil/internal/bot"
)

// cmdKB imports or exports the help center as Markdown files, so an
// exchange can keep its articles in git and review changes there.
func cmdKB(ctx context.Context, args []string, std IO) error {
	if len(args) < 2 || (args[0] != "import" && args[0] != "export") {
		return errors.New("usage: vigil kb import DIR | vigil kb export DIR")
	}
	verb, dir := args[0], args[1]
	return withApp(ctx, "kb "+verb, args[2:], std, func(ctx context.Context, a *App) error {
		if verb == "export" {
			n, err := a.KB.Export(ctx, dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.Stdout, "exported %d article translations to %s\n", n, dir)
			return nil
		}
		res, err := a.KB.Import(ctx, 0, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.Stdout, "imported %d files from %s: %d new versions, %d published\n", res.Files, dir, res.Versions, res.Published)
		return nil
	})
}

// cmdBot runs the bot's offline evaluation: no database needed.
func cmdBot(args []string, std IO) error {
	if len(args) == 0 || args[0] != "eval" {
		return errors.New("usage: vigil bot eval --train FILE [--test FILE] [--cv FOLDS [--candidates NAME,...]] [--oos-label LABEL] [--json]")
	}
	fs := flag.NewFlagSet("bot eval", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	trainPath := fs.String("train", "", "training CSV (text,label)")
	testPath := fs.String("test", "", "test CSV (text,label)")
	oos := fs.String("oos-label", "", "the label of out-of-scope examples, if any")
	asJSON := fs.Bool("json", false, "print JSON")
	cv := fs.Int("cv", 0, "compare the candidate models by this many folds of cross-validation on the training file, then test the best")
	only := fs.String("candidates", "", "with --cv, only these candidates (comma-separated names)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *trainPath == "" || (*testPath == "" && *cv == 0) {
		return errors.New("bot eval: --train and --test (or --cv) are required")
	}
	if *cv == 1 || *cv < 0 {
		return errors.New("bot eval: --cv needs at least 2 folds")
	}
	read := func(path string) ([]bot.Example, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		ex, err := bot.ReadExamples(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return ex, nil
	}
	train, err := read(*trainPath)
	if err != nil {
		return err
	}
	var test []bot.Example
	if *testPath != "" {
		if test, err = read(*testPath); err != nil {
			return err
		}
	}
	if *cv > 0 {
		return botCV(train, test, *cv, *only, *oos, *asJSON, std)
	}
	rep := bot.Eval(train, test, bot.EvalOptions{OOS: *oos, Now: time.Now})
	if *asJSON {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printEval(rep, std)
	return nil
}

func printEval(rep bot.EvalReport, std IO) {
	fmt.Fprintf(std.Stdout, "trained on %d examples (%d intents) in %.1fs; tested on %d\n", rep.TrainExamples, rep.Intents, rep.TrainSeconds, rep.TestExamples)
	fmt.Fprintf(std.Stdout, "accuracy %.2f%%  macro-F1 %.2f%%\n", rep.Accuracy*100, rep.MacroF1*100)
	fmt.Fprintf(std.Stdout, "hand-off threshold %.3f (cross-validated on the training file): answers %.1f%% of questions, %.2f%% of them right\n",
		rep.Threshold, rep.Answered*100, rep.AnsweredAccuracy*100)
	if rep.OOSRecall != nil {
		fmt.Fprintf(std.Stdout, "out-of-scope recall %.2f%%\n", *rep.OOSRecall*100)
	}
	fmt.Fprintf(std.Stdout, "answer latency p50 %.3f ms, p99 %.3f ms\n", rep.P50Millis, rep.P99Millis)
}

// botCV compares the candidate models by cross-validation on the training
// file and tests only the one chosen.
func botCV(train, test []bot.Example, folds int, only, oos string, asJSON bool, std IO) error {
	candidates := bot.Candidates()
	if only != "" {
		want := map[string]bool{}
		for _, n := range strings.Split(only, ",") {
			want[strings.TrimSpace(n)] = true
		}
		var picked []bot.Candidate
		for _, c := range candidates {
			if want[c.Name] {
				picked = append(picked, c)
				delete(want, c.Name)
			}
		}
		if len(want) > 0 {
			var names []string
			for _, c := range candidates {
				names = append(names, c.Name)
			}
			return fmt.Errorf("bot eval: unknown candidate(s); known: %s", strings.Join(names, ", "))
		}
		candidates = picked
	}
	progress := func(r bot.CVResult) {
		if !asJSON {
			fmt.Fprintf(std.Stdout, "%-24s accuracy %.2f%%  macro-F1 %.2f%%  threshold %.3f  %.0fs\n", r.Name, r.Accuracy*100, r.MacroF1*100, r.Threshold, r.Seconds)
		}
	}
	rep := bot.Select(train, test, candidates, bot.EvalOptions{OOS: oos, Folds: folds, Now: time.Now}, progress)
	if asJSON {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(std.Stdout, "chosen by %d-fold cross-validation on the training file: %s\n", folds, rep.Chosen)
	if rep.Test != nil {
		printEval(*rep.Test, std)
	}
	return nil
}
