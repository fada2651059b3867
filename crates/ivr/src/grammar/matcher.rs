//! Validation of a parsed grammar and its compilation to a key automaton.
//!
//! The root rule is compiled by inlining rule references into a Thompson NFA
//! over DTMF keys; epsilon moves are then removed and states that cannot reach
//! acceptance are pruned, so at every step the set of live states directly
//! answers "can this prefix still become a match?".
//!
//! Tags: a tag (`{out="repeat"}`) is an epsilon move that sets the value of
//! the path through it; the last tag on a path wins, across rule references
//! (as if every rule ended with `out = rules.latest()`). A run is therefore a
//! set of *configurations*, (state, tag so far). A grammar in which one key
//! string matches with two different tags is refused (it would make the
//! result depend on which parse the matcher happened to prefer), and so is
//! one with more than [`MAX_TAGS`] distinct tag values.
//!
//! Recursion: SRGS forbids left recursion; it is refused. Right (tail)
//! recursion, e.g. `$digits = $digit | $digit $digits;`, is regular and is
//! compiled as a jump back to the rule's start. Any other recursion would make
//! the language non-regular and is refused.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::ast::{Decl, Document, Expr, KeyIndex, RuleDef, KEYS};
use super::{InvalidKind, MatchState, MatchTag};

/// Upper bound on NFA states before epsilon removal.
const MAX_STATES: usize = 20_000;
/// Upper bound on rule definitions (bounds the depth of rule inlining and of
/// the recursion checks).
const MAX_RULES: usize = 1000;
/// Deepest chain of rule references (`$a` uses `$b` uses `$c` ...).
const MAX_DEPTH: usize = 64;
/// Upper bound on edges after epsilon removal.
const MAX_EDGES: usize = 2_000_000;
/// Upper bound on distinct tag values in one grammar.
pub(crate) const MAX_TAGS: usize = 100;
/// Upper bound on the steps of epsilon removal (closure visits).
const MAX_CLOSURE_STEPS: usize = 50_000_000;
/// Upper bound on the work of the tag checks (configurations visited and
/// edges followed).
const MAX_TAG_CHECK_WORK: usize = 5_000_000;
/// Upper bound on the sets of configurations the ambiguity check visits.
const MAX_TAG_CHECK_SETS: usize = 20_000;

/// A validation or compilation problem: byte offset, kind, message.
pub(crate) type Problem = (usize, InvalidKind, String);

/// A tag id: 0 is "no tag", `n` is `tags[n - 1]`. On an edge, 0 means "keep
/// the tag so far".
type TagId = u16;

/// A configuration of a run: an automaton state and the tag of the path
/// that reached it.
type Config = (u32, TagId);

/// A key edge after epsilon removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edge {
    /// The keys that take it, as a bit-set over [`KEYS`].
    keys: u16,
    /// The target state.
    to: u32,
    /// The tag the epsilon moves after the key set (0: keep the tag so far).
    set: TagId,
}

/// The compiled, epsilon-free automaton. States are numbered `0..n`.
#[derive(Debug)]
pub(crate) struct Automaton {
    /// Live start configurations, sorted.
    start: Vec<Config>,
    /// `edges[s]`: the key edges out of `s`; all targets are live.
    edges: Vec<Vec<Edge>>,
    /// Whether each state is accepting.
    accepting: Vec<bool>,
    /// The tag values, by id - 1.
    tags: Vec<String>,
    /// What a match can carry, each with the shortest keys that give it.
    outcomes: Vec<MatchTag>,
}

/// Applies an edge's tag to the tag so far.
fn apply(tag: TagId, set: TagId) -> TagId {
    if set == 0 {
        tag
    } else {
        set
    }
}

/// Validates `doc` and compiles its root rule.
pub(crate) fn compile(doc: &Document) -> Result<(String, Automaton), Problem> {
    // --- declarations -------------------------------------------------------
    let mut mode = None;
    let mut root = None;
    for d in &doc.decls {
        match d {
            Decl::Mode { dtmf, at } => {
                if mode.is_some() {
                    return Err((
                        *at,
                        InvalidKind::Duplicate,
                        "duplicate mode declaration".into(),
                    ));
                }
                if !dtmf {
                    return Err((
                        *at,
                        InvalidKind::Unsupported,
                        "voice grammars are not supported; declare 'mode dtmf;'".into(),
                    ));
                }
                mode = Some(*at);
            }
            Decl::Root { name, at } => {
                if root.is_some() {
                    return Err((
                        *at,
                        InvalidKind::Duplicate,
                        "duplicate root declaration".into(),
                    ));
                }
                root = Some((name.clone(), *at));
            }
            Decl::Ignored => {}
        }
    }
    if mode.is_none() {
        return Err((
            0,
            InvalidKind::Unsupported,
            "missing 'mode dtmf;' (SRGS grammars default to voice mode)".into(),
        ));
    }
    let Some((root, root_at)) = root else {
        return Err((
            0,
            InvalidKind::MissingRoot,
            "missing root declaration 'root $name;'".into(),
        ));
    };

    // --- rules --------------------------------------------------------------
    if doc.rules.len() > MAX_RULES {
        let at = doc.rules[MAX_RULES].at;
        return Err((
            at,
            InvalidKind::TooLarge,
            format!("more than {MAX_RULES} rules"),
        ));
    }
    let mut rules: HashMap<&str, &RuleDef> = HashMap::new();
    for r in &doc.rules {
        if rules.insert(r.name.as_str(), r).is_some() {
            return Err((
                r.at,
                InvalidKind::Duplicate,
                format!("rule ${} is defined twice", r.name),
            ));
        }
    }
    if !rules.contains_key(root.as_str()) {
        return Err((
            root_at,
            InvalidKind::UndefinedRule,
            format!("root rule ${root} is not defined"),
        ));
    }
    for r in &doc.rules {
        check_refs(&r.body, &rules)?;
    }
    let nullable = nullable_rules(&doc.rules);
    check_left_recursion(&doc.rules, &rules, &nullable)?;
    for r in &doc.rules {
        check_repeats(&r.body, &nullable)?;
    }

    // --- compilation --------------------------------------------------------
    let mut b = Builder {
        rules: &rules,
        states: Vec::new(),
        stack: Vec::new(),
        tags: Vec::new(),
    };
    let (s, e) = b.rule(&root, root_at, 0)?;
    let too_large = || {
        (
            root_at,
            InvalidKind::TooLarge,
            "grammar is too large to compile".to_string(),
        )
    };
    let mut auto = b.finish(s, e).ok_or_else(too_large)?;
    if !auto.tags.is_empty() {
        let unchecked = || {
            (
                root_at,
                InvalidKind::TooLarge,
                "the grammar's tags are too complex to check for keys that match \
                 with two different results"
                    .to_string(),
            )
        };
        if let Some((keys, a, b)) = auto.ambiguity().ok_or_else(unchecked)? {
            return Err((
                root_at,
                InvalidKind::AmbiguousTags,
                format!(
                    "keys {} match with two different results, {} and {}",
                    keys_text(&keys),
                    auto.tag_text(a),
                    auto.tag_text(b)
                ),
            ));
        }
    }
    auto.outcomes = auto.find_outcomes().ok_or_else(too_large)?;
    Ok((root, auto))
}

/// Key indices as the keys a caller presses; "no keys" for none.
fn keys_text(keys: &[KeyIndex]) -> String {
    if keys.is_empty() {
        return "(none)".to_string();
    }
    keys.iter().map(|&k| KEYS[k as usize]).collect()
}

fn check_refs(e: &Expr, rules: &HashMap<&str, &RuleDef>) -> Result<(), Problem> {
    match e {
        Expr::Ref { name, at } if !rules.contains_key(name.as_str()) => Err((
            *at,
            InvalidKind::UndefinedRule,
            format!("reference to undefined rule ${name}"),
        )),
        Expr::Repeat { inner, .. } => check_refs(inner, rules),
        Expr::Seq(v) | Expr::Alt(v) => v.iter().try_for_each(|x| check_refs(x, rules)),
        _ => Ok(()),
    }
}

/// Whether `e` can match the empty input, given which rules can.
fn nullable(e: &Expr, rules: &HashSet<String>) -> bool {
    match e {
        Expr::Keys(k) => k.is_empty(),
        Expr::Ref { name, .. } => rules.contains(name),
        Expr::Null | Expr::Tag(_) | Expr::Garbage => true,
        Expr::Void => false,
        Expr::Seq(v) => v.iter().all(|x| nullable(x, rules)),
        Expr::Alt(v) => v.iter().any(|x| nullable(x, rules)),
        Expr::Repeat {
            inner, min, max, ..
        } => *min == 0 || *max == Some(0) || nullable(inner, rules),
    }
}

/// Least fixed point of rule nullability.
fn nullable_rules(rules: &[RuleDef]) -> HashSet<String> {
    let mut set = HashSet::new();
    loop {
        let before = set.len();
        for r in rules {
            if !set.contains(&r.name) && nullable(&r.body, &set) {
                set.insert(r.name.clone());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// Rules referenced at the left edge of `e` (reachable without consuming a key).
fn left_refs<'e>(e: &'e Expr, nullable_set: &HashSet<String>, out: &mut Vec<(&'e str, usize)>) {
    match e {
        Expr::Ref { name, at } => out.push((name, *at)),
        Expr::Seq(v) => {
            for x in v {
                left_refs(x, nullable_set, out);
                if !nullable(x, nullable_set) {
                    break;
                }
            }
        }
        Expr::Alt(v) => v.iter().for_each(|x| left_refs(x, nullable_set, out)),
        Expr::Repeat { inner, max, .. } if *max != Some(0) => left_refs(inner, nullable_set, out),
        _ => {}
    }
}

fn check_left_recursion(
    list: &[RuleDef],
    rules: &HashMap<&str, &RuleDef>,
    nullable_set: &HashSet<String>,
) -> Result<(), Problem> {
    // Depth-first search for a cycle in the "left edge" graph.
    fn visit<'r>(
        name: &'r str,
        rules: &HashMap<&str, &'r RuleDef>,
        nullable_set: &HashSet<String>,
        path: &mut Vec<(&'r str, usize)>,
        done: &mut HashSet<&'r str>,
    ) -> Result<(), Problem> {
        if done.contains(name) {
            return Ok(());
        }
        let Some(rule) = rules.get(name) else {
            return Ok(());
        };
        let mut refs = Vec::new();
        left_refs(&rule.body, nullable_set, &mut refs);
        for (target, at) in refs {
            if path.len() > MAX_DEPTH {
                return Err((
                    at,
                    InvalidKind::TooLarge,
                    format!("rule references nested more than {MAX_DEPTH} deep"),
                ));
            }
            if let Some(pos) = path.iter().position(|(n, _)| *n == target) {
                let mut cycle: Vec<String> =
                    path[pos..].iter().map(|(n, _)| format!("${n}")).collect();
                cycle.push(format!("${target}"));
                return Err((
                    at,
                    InvalidKind::LeftRecursion,
                    format!(
                        "left recursion: {} (it would loop forever)",
                        cycle.join(" -> ")
                    ),
                ));
            }
            path.push((target, at));
            visit(target, rules, nullable_set, path, done)?;
            path.pop();
        }
        done.insert(name);
        Ok(())
    }
    let mut done = HashSet::new();
    for r in list {
        let mut path = vec![(r.name.as_str(), r.at)];
        visit(&r.name, rules, nullable_set, &mut path, &mut done)?;
    }
    Ok(())
}

fn check_repeats(e: &Expr, nullable_set: &HashSet<String>) -> Result<(), Problem> {
    match e {
        Expr::Repeat {
            inner,
            max: None,
            at,
            ..
        } if nullable(inner, nullable_set) => Err((
            *at,
            InvalidKind::InfiniteLoop,
            "unbounded repeat of an expansion that can match nothing would loop forever".into(),
        )),
        Expr::Repeat { inner, .. } => check_repeats(inner, nullable_set),
        Expr::Seq(v) | Expr::Alt(v) => v.iter().try_for_each(|x| check_repeats(x, nullable_set)),
        _ => Ok(()),
    }
}

/// Thompson-NFA state during construction.
#[derive(Default, Clone)]
struct NState {
    eps: Vec<u32>,
    edges: Vec<(u16, u32)>,
    /// Passing through this state sets the tag (0: it does not).
    set: TagId,
}

struct Builder<'r> {
    rules: &'r HashMap<&'r str, &'r RuleDef>,
    states: Vec<NState>,
    /// Rules being inlined: (name, start state).
    stack: Vec<(&'r str, u32)>,
    /// Distinct tag values, in order of first use.
    tags: Vec<String>,
}

type Frag = (u32, u32);

impl<'r> Builder<'r> {
    fn new_state(&mut self, at: usize) -> Result<u32, Problem> {
        if self.states.len() >= MAX_STATES {
            return Err((
                at,
                InvalidKind::TooLarge,
                format!("grammar is too large (more than {MAX_STATES} automaton states)"),
            ));
        }
        self.states.push(NState::default());
        Ok((self.states.len() - 1) as u32)
    }

    fn eps(&mut self, from: u32, to: u32) {
        self.states[from as usize].eps.push(to);
    }

    /// Inlines rule `name`. `tail_from`: the current point is in tail position
    /// of the rules `stack[tail_from..]`.
    fn rule(&mut self, name: &str, at: usize, tail_from: usize) -> Result<Frag, Problem> {
        let Some(&rule) = self.rules.get(name) else {
            return Err((
                at,
                InvalidKind::UndefinedRule,
                format!("reference to undefined rule ${name}"),
            ));
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err((
                at,
                InvalidKind::TooLarge,
                format!("rule references nested more than {MAX_DEPTH} deep"),
            ));
        }
        let start = self.new_state(at)?;
        self.stack.push((rule.name.as_str(), start));
        let (s, e) = self.expr(&rule.body, tail_from)?;
        self.stack.pop();
        self.eps(start, s);
        Ok((start, e))
    }

    fn expr(&mut self, e: &Expr, tail_from: usize) -> Result<Frag, Problem> {
        let none = self.stack.len();
        match e {
            Expr::Keys(keys) => {
                let s = self.new_state(0)?;
                let mut cur = s;
                for &k in keys {
                    let next = self.new_state(0)?;
                    self.states[cur as usize].edges.push((1u16 << k, next));
                    cur = next;
                }
                Ok((s, cur))
            }
            Expr::Null => {
                let s = self.new_state(0)?;
                Ok((s, s))
            }
            Expr::Tag(value) => {
                let id = match self.tags.iter().position(|t| t == value) {
                    Some(n) => n + 1,
                    None if self.tags.len() < MAX_TAGS => {
                        self.tags.push(value.clone());
                        self.tags.len()
                    }
                    None => {
                        return Err((
                            self.stack
                                .first()
                                .map_or(0, |&(name, _)| self.rules.get(name).map_or(0, |r| r.at)),
                            InvalidKind::TooLarge,
                            format!("more than {MAX_TAGS} different tag values"),
                        ))
                    }
                };
                let s = self.new_state(0)?;
                self.states[s as usize].set = id as TagId;
                Ok((s, s))
            }
            Expr::Void => Ok((self.new_state(0)?, self.new_state(0)?)),
            Expr::Garbage => {
                let s = self.new_state(0)?;
                self.states[s as usize].edges.push((u16::MAX, s));
                Ok((s, s))
            }
            Expr::Ref { name, at } => {
                if let Some(j) = self.stack.iter().position(|(n, _)| *n == name.as_str()) {
                    if j >= tail_from {
                        // Tail recursion: jump back to the rule's start; the
                        // rule's own end is where this path completes.
                        let s = self.new_state(*at)?;
                        let target = self.stack[j].1;
                        self.eps(s, target);
                        let dead_end = self.new_state(*at)?;
                        return Ok((s, dead_end));
                    }
                    return Err((
                        *at,
                        InvalidKind::Recursion,
                        format!(
                            "recursive reference to ${name} is not in tail position; \
                             only right recursion is supported (use a repeat)"
                        ),
                    ));
                }
                self.rule(name, *at, tail_from.min(none))
            }
            Expr::Seq(items) => {
                let s = self.new_state(0)?;
                let mut cur = s;
                for (n, x) in items.iter().enumerate() {
                    let t = if n + 1 == items.len() {
                        tail_from
                    } else {
                        none
                    };
                    let (xs, xe) = self.expr(x, t)?;
                    self.eps(cur, xs);
                    cur = xe;
                }
                Ok((s, cur))
            }
            Expr::Alt(items) => {
                let s = self.new_state(0)?;
                let end = self.new_state(0)?;
                for x in items {
                    let (xs, xe) = self.expr(x, tail_from)?;
                    self.eps(s, xs);
                    self.eps(xe, end);
                }
                Ok((s, end))
            }
            Expr::Repeat {
                inner,
                min,
                max,
                at,
            } => {
                let t = if *max == Some(1) { tail_from } else { none };
                let s = self.new_state(*at)?;
                let mut cur = s;
                for _ in 0..*min {
                    let (xs, xe) = self.expr(inner, t)?;
                    self.eps(cur, xs);
                    cur = xe;
                }
                match max {
                    None => {
                        let lp = self.new_state(*at)?;
                        self.eps(cur, lp);
                        let (xs, xe) = self.expr(inner, none)?;
                        self.eps(lp, xs);
                        self.eps(xe, lp);
                        Ok((s, lp))
                    }
                    Some(max) => {
                        let end = self.new_state(*at)?;
                        for _ in *min..*max {
                            self.eps(cur, end);
                            let (xs, xe) = self.expr(inner, t)?;
                            self.eps(cur, xs);
                            cur = xe;
                        }
                        self.eps(cur, end);
                        Ok((s, end))
                    }
                }
            }
        }
    }

    /// Removes epsilon moves and dead states. `None` if too large.
    fn finish(self, start: u32, accept: u32) -> Option<Automaton> {
        let n = self.states.len();
        let kinds = self.tags.len() + 1;
        // Epsilon closure of each state over (state, tag so far) pairs,
        // computed on demand with a scratch mark per pair.
        let mut mark = vec![u32::MAX; n * kinds];
        let mut steps = 0usize;
        let states = &self.states;
        let mut closure = |from: u32, stamp: u32, out: &mut Vec<(u32, TagId)>| -> Option<()> {
            out.clear();
            let mut stack = vec![(from, 0 as TagId)];
            mark[from as usize * kinds] = stamp;
            while let Some((s, tag)) = stack.pop() {
                steps += 1;
                if steps > MAX_CLOSURE_STEPS {
                    return None;
                }
                let tag = apply(tag, states[s as usize].set);
                out.push((s, tag));
                for &t in &states[s as usize].eps {
                    let m = &mut mark[t as usize * kinds + tag as usize];
                    if *m != stamp {
                        *m = stamp;
                        stack.push((t, tag));
                    }
                }
            }
            Some(())
        };
        // Important states: those with key edges, plus the accept state.
        let important: Vec<bool> = (0..n)
            .map(|s| s as u32 == accept || !self.states[s].edges.is_empty())
            .collect();
        let mut new_id = vec![u32::MAX; n];
        let mut count = 0u32;
        for s in 0..n {
            if important[s] {
                new_id[s] = count;
                count += 1;
            }
        }
        let mut stamp = 0u32;
        let mut buf = Vec::new();
        let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); count as usize];
        let mut total = 0usize;
        for s in 0..n {
            if !important[s] {
                continue;
            }
            let mut out: Vec<Edge> = Vec::new();
            for &(ks, t) in &self.states[s].edges {
                stamp += 1;
                closure(t, stamp, &mut buf)?;
                for &(u, set) in &buf {
                    if important[u as usize] {
                        out.push(Edge {
                            keys: ks,
                            to: new_id[u as usize],
                            set,
                        });
                    }
                }
            }
            // Merge parallel edges to the same target with the same tag.
            out.sort_by_key(|e| (e.to, e.set));
            out.dedup_by(|b, a| {
                if (a.to, a.set) == (b.to, b.set) {
                    a.keys |= b.keys;
                    true
                } else {
                    false
                }
            });
            total += out.len();
            if total > MAX_EDGES {
                return None;
            }
            edges[new_id[s] as usize] = out;
        }
        stamp += 1;
        closure(start, stamp, &mut buf)?;
        let mut start_set: Vec<Config> = buf
            .iter()
            .filter(|&&(u, _)| important[u as usize])
            .map(|&(u, tag)| (new_id[u as usize], tag))
            .collect();
        let mut accepting = vec![false; count as usize];
        accepting[new_id[accept as usize] as usize] = true;

        // Live states: those that can reach the accepting state.
        let mut rev: Vec<Vec<u32>> = vec![Vec::new(); count as usize];
        for (s, out) in edges.iter().enumerate() {
            for e in out {
                rev[e.to as usize].push(s as u32);
            }
        }
        let mut live = accepting.clone();
        let mut work: Vec<u32> = (0..count).filter(|&s| accepting[s as usize]).collect();
        while let Some(t) = work.pop() {
            for &s in &rev[t as usize] {
                if !live[s as usize] {
                    live[s as usize] = true;
                    work.push(s);
                }
            }
        }
        for out in &mut edges {
            out.retain(|e| live[e.to as usize]);
        }
        start_set.retain(|&(s, _)| live[s as usize]);
        start_set.sort_unstable();
        start_set.dedup();
        Some(Automaton {
            start: start_set,
            edges,
            accepting,
            tags: self.tags,
            outcomes: Vec::new(),
        })
    }
}

impl Automaton {
    /// Classifies a set of (live) configurations.
    fn classify(&self, set: &[Config]) -> MatchState {
        if set.is_empty() {
            return MatchState::NoMatch;
        }
        let accepting = set.iter().any(|&(s, _)| self.accepting[s as usize]);
        let more = set.iter().any(|&(s, _)| !self.edges[s as usize].is_empty());
        match (accepting, more) {
            (false, _) => MatchState::Partial,
            (true, true) => MatchState::MatchCanContinue,
            (true, false) => MatchState::Complete,
        }
    }

    /// The configurations `c` goes to on key `k`, appended to `out`.
    fn step(&self, (s, tag): Config, k: KeyIndex, out: &mut Vec<Config>) {
        let bit = 1u16 << k;
        for e in &self.edges[s as usize] {
            if e.keys & bit != 0 {
                out.push((e.to, apply(tag, e.set)));
            }
        }
    }

    /// A tag as the error messages quote it.
    fn tag_text(&self, tag: TagId) -> String {
        match tag {
            0 => "no tag".to_string(),
            n => format!("{:?}", self.tags[n as usize - 1]),
        }
    }

    /// The value of tag `tag`, `None` for "no tag".
    fn tag_value(&self, tag: TagId) -> Option<&str> {
        match tag {
            0 => None,
            n => self.tags.get(n as usize - 1).map(String::as_str),
        }
    }

    /// Every result a match can carry, each with the shortest keys giving
    /// it (a breadth-first walk over configurations). `None` if the walk
    /// takes more than [`MAX_TAG_CHECK_WORK`] steps.
    fn find_outcomes(&self) -> Option<Vec<MatchTag>> {
        // Nodes of the walk: configuration, parent node, key from the parent.
        let mut nodes: Vec<(Config, usize, KeyIndex)> = Vec::new();
        let mut seen: HashSet<Config> = HashSet::new();
        for &c in &self.start {
            if seen.insert(c) {
                nodes.push((c, usize::MAX, 0));
            }
        }
        let mut found: Vec<(TagId, usize)> = Vec::new();
        let mut work = 0usize;
        let mut next = Vec::new();
        let mut i = 0;
        while i < nodes.len() {
            let (c, _, _) = nodes[i];
            if self.accepting[c.0 as usize] && !found.iter().any(|&(t, _)| t == c.1) {
                found.push((c.1, i));
            }
            for k in 0..KEYS.len() as KeyIndex {
                next.clear();
                self.step(c, k, &mut next);
                work += 1 + next.len();
                if work > MAX_TAG_CHECK_WORK {
                    return None;
                }
                for &n in &next {
                    if seen.insert(n) {
                        nodes.push((n, i, k));
                    }
                }
            }
            i += 1;
        }
        let keys_to = |mut i: usize| {
            let mut keys = Vec::new();
            while nodes[i].1 != usize::MAX {
                keys.push(nodes[i].2);
                i = nodes[i].1;
            }
            keys.reverse();
            keys_text_raw(&keys)
        };
        let mut out: Vec<MatchTag> = found
            .into_iter()
            .map(|(tag, node)| MatchTag {
                tag: self.tag_value(tag).map(str::to_string),
                keys: keys_to(node),
            })
            .collect();
        out.sort_by(|a, b| a.tag.cmp(&b.tag));
        Some(out)
    }

    /// Shortest keys that match with two different tags, with the two tags;
    /// `Ok(None)` if there are none. A breadth-first walk over the sets of
    /// configurations that key strings reach (the automaton determinized on
    /// the fly), so a set that holds accepting configurations with two tags
    /// is found at its shortest keys. `None` if the walk takes more than
    /// [`MAX_TAG_CHECK_WORK`] steps or [`MAX_TAG_CHECK_SETS`] sets.
    #[allow(clippy::type_complexity)]
    fn ambiguity(&self) -> Option<Option<(Vec<KeyIndex>, TagId, TagId)>> {
        // Nodes of the walk: the set, parent node, key from the parent.
        let mut nodes: Vec<(Vec<Config>, usize, KeyIndex)> =
            vec![(self.start.clone(), usize::MAX, 0)];
        let mut ids: HashMap<Vec<Config>, usize> = HashMap::from([(self.start.clone(), 0)]);
        let mut work = 0usize;
        let mut buckets: Vec<Vec<Config>> = vec![Vec::new(); KEYS.len()];
        let mut i = 0;
        while i < nodes.len() {
            let set = &nodes[i].0;
            let mut tags = set
                .iter()
                .filter(|&&(s, _)| self.accepting[s as usize])
                .map(|&(_, t)| t);
            if let Some(first) = tags.next() {
                if let Some(other) = tags.find(|&t| t != first) {
                    let mut keys = Vec::new();
                    let mut j = i;
                    while nodes[j].1 != usize::MAX {
                        keys.push(nodes[j].2);
                        j = nodes[j].1;
                    }
                    keys.reverse();
                    return Some(Some((keys, first.min(other), first.max(other))));
                }
            }
            for &(s, tag) in set {
                for e in &self.edges[s as usize] {
                    work += e.keys.count_ones() as usize;
                    for (k, bucket) in buckets.iter_mut().enumerate() {
                        if e.keys & (1 << k) != 0 {
                            bucket.push((e.to, apply(tag, e.set)));
                        }
                    }
                }
            }
            for (k, bucket) in buckets.iter_mut().enumerate() {
                if bucket.is_empty() {
                    continue;
                }
                bucket.sort_unstable();
                bucket.dedup();
                work += bucket.len();
                if !ids.contains_key(bucket.as_slice()) {
                    ids.insert(bucket.clone(), nodes.len());
                    nodes.push((std::mem::take(bucket), i, k as KeyIndex));
                } else {
                    bucket.clear();
                }
            }
            if work > MAX_TAG_CHECK_WORK || nodes.len() > MAX_TAG_CHECK_SETS {
                return None;
            }
            i += 1;
        }
        Some(None)
    }
}

/// Key indices as a key string (empty for none).
fn keys_text_raw(keys: &[KeyIndex]) -> String {
    keys.iter().map(|&k| KEYS[k as usize]).collect()
}

/// Incremental matcher over one compiled grammar; see [`super::Matcher`].
#[derive(Debug, Clone)]
pub(crate) struct Run {
    auto: Arc<Automaton>,
    current: Vec<Config>,
    next: Vec<Config>,
    state: MatchState,
}

impl Run {
    pub(crate) fn new(auto: Arc<Automaton>) -> Run {
        let mut r = Run {
            current: Vec::new(),
            next: Vec::new(),
            state: MatchState::NoMatch,
            auto,
        };
        r.reset();
        r
    }

    pub(crate) fn reset(&mut self) {
        self.current.clear();
        self.current.extend_from_slice(&self.auto.start);
        self.state = self.auto.classify(&self.current);
    }

    pub(crate) fn state(&self) -> MatchState {
        self.state
    }

    pub(crate) fn push(&mut self, key: char) -> MatchState {
        let Some(k) = super::ast::key_index(key) else {
            self.current.clear();
            self.state = MatchState::NoMatch;
            return self.state;
        };
        self.next.clear();
        for &c in &self.current {
            self.auto.step(c, k, &mut self.next);
        }
        self.next.sort_unstable();
        self.next.dedup();
        std::mem::swap(&mut self.current, &mut self.next);
        self.state = self.auto.classify(&self.current);
        self.state
    }

    /// The tag of the current match: `None` when the keys so far do not
    /// match, or match without a tag. Compilation refuses grammars where
    /// the same keys match with different tags, so every accepting
    /// configuration carries the same one.
    pub(crate) fn tag(&self) -> Option<&str> {
        let &(_, tag) = self
            .current
            .iter()
            .find(|&&(s, _)| self.auto.accepting[s as usize])?;
        self.auto.tag_value(tag)
    }

    /// Keys that would keep the match alive from the current state.
    pub(crate) fn expected(&self) -> Vec<char> {
        let mut mask = 0u16;
        for &(s, _) in &self.current {
            for e in &self.auto.edges[s as usize] {
                mask |= e.keys;
            }
        }
        KEYS.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, &c)| c)
            .collect()
    }
}

impl Automaton {
    /// What the grammar's matches can carry (see [`super::Grammar::tags`]).
    pub(crate) fn outcomes(&self) -> &[MatchTag] {
        &self.outcomes
    }
}
