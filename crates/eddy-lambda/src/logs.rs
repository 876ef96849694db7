//! CloudWatch Logs, as far as Lambda needs it: log groups (`/aws/lambda/<function>`), one log stream per
//! execution environment (`YYYY/MM/DD/[<version>]<32 hex>`), and the events written to them (the handler's
//! stdout and stderr, framed by the platform's START / END / REPORT lines). The read API (DescribeLogGroups,
//! DescribeLogStreams, GetLogEvents, FilterLogEvents) is served from here.
//!
//! Logs are kept in memory, bounded per stream ([`MAX_EVENTS_PER_STREAM`], oldest dropped first): they do not
//! survive a restart, unlike functions and their code.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use eddy_model::{Clock, Scope};
use parking_lot::{Mutex, RwLock};

/// Events kept per stream; older ones are dropped.
pub const MAX_EVENTS_PER_STREAM: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogsError {
    ResourceNotFound(String),
    InvalidParameter(String),
    /// A request whose members contradict each other (`ValidationException`).
    Validation(String),
}

impl LogsError {
    pub fn code(&self) -> &'static str {
        match self {
            LogsError::ResourceNotFound(_) => "ResourceNotFoundException",
            LogsError::InvalidParameter(_) => "InvalidParameterException",
            LogsError::Validation(_) => "ValidationException",
        }
    }
    pub fn message(&self) -> &str {
        match self {
            LogsError::ResourceNotFound(m)
            | LogsError::InvalidParameter(m)
            | LogsError::Validation(m) => m,
        }
    }
}

fn no_group() -> LogsError {
    LogsError::ResourceNotFound("The specified log group does not exist.".into())
}
fn no_stream() -> LogsError {
    LogsError::ResourceNotFound("The specified log stream does not exist.".into())
}
fn bad_token() -> LogsError {
    LogsError::InvalidParameter("The specified nextToken is invalid.".into())
}

#[derive(Clone, Debug)]
pub struct LogEvent {
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message: String,
    /// Unique across the process; orders events written in the same millisecond.
    pub id: u64,
}

struct StreamData {
    created_ms: i64,
    /// Index (within the stream, counting dropped events) of `events[0]`.
    first_index: u64,
    events: VecDeque<LogEvent>,
    stored_bytes: u64,
    last_ingestion_ms: Option<i64>,
}

pub struct LogGroup {
    pub name: String,
    pub created_ms: i64,
    streams: Mutex<BTreeMap<String, StreamData>>,
}

/// What DescribeLogStreams reports of a stream.
#[derive(Clone, Debug)]
pub struct StreamInfo {
    pub name: String,
    pub created_ms: i64,
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    pub last_ingestion_ms: Option<i64>,
    pub stored_bytes: u64,
}

/// What DescribeLogGroups reports of a group.
#[derive(Clone, Debug)]
pub struct GroupInfo {
    pub name: String,
    pub created_ms: i64,
    pub stored_bytes: u64,
}

/// A page of GetLogEvents.
#[derive(Debug)]
pub struct EventsPage {
    pub events: Vec<LogEvent>,
    pub next_forward: String,
    pub next_backward: String,
}

/// A page of FilterLogEvents.
#[derive(Debug)]
pub struct FilteredPage {
    pub events: Vec<(String, LogEvent)>,
    pub searched: Vec<String>,
    pub next_token: Option<String>,
}

pub struct LogStore {
    clock: Arc<Clock>,
    groups: RwLock<BTreeMap<(Scope, String), Arc<LogGroup>>>,
    next_id: AtomicU64,
}

/// Where an environment writes: one stream of one group.
#[derive(Clone)]
pub struct StreamWriter {
    scope: Scope,
    group: Arc<LogGroup>,
    stream: Arc<str>,
    store: Arc<LogStore>,
}

impl StreamWriter {
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The group to write to: the writer's own, or — when DeleteLogGroup removed it since — the group created
    /// again with the stream, as Lambda creates a missing group at its function's next log line.
    fn live_group(&self) -> Arc<LogGroup> {
        let key = (self.scope.clone(), self.group.name.clone());
        let current = self.store.groups.read().get(&key).cloned();
        match current {
            Some(group) if Arc::ptr_eq(&group, &self.group) => group,
            _ => {
                self.store
                    .writer(&self.scope, &self.group.name, &self.stream)
                    .group
            }
        }
    }

    /// Appends events (one per message), stamped with the server clock.
    pub fn append<I: IntoIterator<Item = String>>(&self, messages: I) {
        let now = self.store.clock.now_ms();
        let group = self.live_group();
        let mut streams = group.streams.lock();
        let Some(data) = streams.get_mut(&*self.stream) else {
            return;
        };
        for message in messages {
            let id = self.store.next_id.fetch_add(1, Ordering::Relaxed);
            data.stored_bytes += message.len() as u64;
            data.events.push_back(LogEvent {
                timestamp: now,
                ingestion_time: now,
                message,
                id,
            });
            if data.events.len() > MAX_EVENTS_PER_STREAM
                && let Some(old) = data.events.pop_front()
            {
                data.first_index += 1;
                data.stored_bytes -= old.message.len() as u64;
            }
        }
        data.last_ingestion_ms = Some(now);
    }
}

impl LogStore {
    pub fn new(clock: Arc<Clock>) -> Arc<LogStore> {
        Arc::new(LogStore {
            clock,
            groups: RwLock::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        })
    }

    /// Creates the group and the stream if needed and returns a writer for the stream.
    pub fn writer(self: &Arc<Self>, scope: &Scope, group: &str, stream: &str) -> StreamWriter {
        let now = self.clock.now_ms();
        let key = (scope.clone(), group.to_string());
        let existing = self.groups.read().get(&key).cloned();
        let group_arc = match existing {
            Some(g) => g,
            None => self
                .groups
                .write()
                .entry(key)
                .or_insert_with(|| {
                    Arc::new(LogGroup {
                        name: group.to_string(),
                        created_ms: now,
                        streams: Mutex::new(BTreeMap::new()),
                    })
                })
                .clone(),
        };
        group_arc
            .streams
            .lock()
            .entry(stream.to_string())
            .or_insert_with(|| StreamData {
                created_ms: now,
                first_index: 0,
                events: VecDeque::new(),
                stored_bytes: 0,
                last_ingestion_ms: None,
            });
        StreamWriter {
            scope: scope.clone(),
            group: group_arc,
            stream: stream.into(),
            store: self.clone(),
        }
    }

    fn group(&self, scope: &Scope, name: &str) -> Result<Arc<LogGroup>, LogsError> {
        self.groups
            .read()
            .get(&(scope.clone(), name.to_string()))
            .cloned()
            .ok_or_else(no_group)
    }

    /// Removes a log group and its streams (DeleteLogGroup).
    pub fn delete_group(&self, scope: &Scope, name: &str) -> Result<(), LogsError> {
        self.groups
            .write()
            .remove(&(scope.clone(), name.to_string()))
            .map(|_| ())
            .ok_or_else(no_group)
    }

    pub fn describe_groups(
        &self,
        scope: &Scope,
        prefix: Option<&str>,
        pattern: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<GroupInfo>, Option<String>) {
        let groups = self.groups.read();
        let mut out = Vec::new();
        let mut next = None;
        for ((s, name), group) in groups.iter() {
            if s != scope
                || prefix.is_some_and(|p| !name.starts_with(p))
                || pattern.is_some_and(|p| !name.to_lowercase().contains(&p.to_lowercase()))
                || after.is_some_and(|a| name.as_str() <= a)
            {
                continue;
            }
            if out.len() == limit {
                next = out.last().map(|g: &GroupInfo| g.name.clone());
                break;
            }
            let stored = group.streams.lock().values().map(|s| s.stored_bytes).sum();
            out.push(GroupInfo {
                name: name.clone(),
                created_ms: group.created_ms,
                stored_bytes: stored,
            });
        }
        (out, next)
    }

    /// Streams of a group, by name or by last event time; `after` is the position of the previous page.
    #[allow(clippy::too_many_arguments)]
    pub fn describe_streams(
        &self,
        scope: &Scope,
        group: &str,
        prefix: Option<&str>,
        by_last_event: bool,
        descending: bool,
        after: Option<usize>,
        limit: usize,
    ) -> Result<(Vec<StreamInfo>, Option<usize>), LogsError> {
        let group = self.group(scope, group)?;
        let mut all: Vec<StreamInfo> = group
            .streams
            .lock()
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
            .map(|(name, data)| StreamInfo {
                name: name.clone(),
                created_ms: data.created_ms,
                first_event_ms: data.events.front().map(|e| e.timestamp),
                last_event_ms: data.events.back().map(|e| e.timestamp),
                last_ingestion_ms: data.last_ingestion_ms,
                stored_bytes: data.stored_bytes,
            })
            .collect();
        if by_last_event {
            all.sort_by_key(|s| (s.last_event_ms.unwrap_or(s.created_ms), s.name.clone()));
        }
        if descending {
            all.reverse();
        }
        let start = after.unwrap_or(0);
        let page: Vec<StreamInfo> = all.iter().skip(start).take(limit).cloned().collect();
        let next = (start + page.len() < all.len()).then_some(start + page.len());
        Ok((page, next))
    }

    /// GetLogEvents: tokens are `f/<index>` (forward from) and `b/<index>` (backward before).
    #[allow(clippy::too_many_arguments)]
    pub fn get_events(
        &self,
        scope: &Scope,
        group: &str,
        stream: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        token: Option<&str>,
        limit: usize,
        start_from_head: bool,
    ) -> Result<EventsPage, LogsError> {
        let group = self.group(scope, group)?;
        let streams = group.streams.lock();
        let data = streams.get(stream).ok_or_else(no_stream)?;
        let in_range = |e: &LogEvent| {
            start_ms.is_none_or(|s| e.timestamp >= s) && end_ms.is_none_or(|t| e.timestamp < t)
        };
        let first = data.first_index;
        let end_index = first + data.events.len() as u64;
        let indexed = data
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (first + i as u64, e))
            .filter(|(_, e)| in_range(e));
        let (forward, position) = match token {
            None => (start_from_head, None),
            Some(t) => {
                let (dir, index) = parse_events_token(t).ok_or_else(bad_token)?;
                (dir == 'f', Some(index))
            }
        };
        let selected: Vec<(u64, &LogEvent)> = if forward {
            let from = position.unwrap_or(0);
            indexed.filter(|(i, _)| *i >= from).take(limit).collect()
        } else {
            let before = position.unwrap_or(end_index);
            let all: Vec<(u64, &LogEvent)> = indexed.filter(|(i, _)| *i < before).collect();
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        };
        let next_forward = match selected.last() {
            Some((i, _)) => i + 1,
            None if forward => position.unwrap_or(first),
            None => position.unwrap_or(end_index),
        };
        let next_backward = match selected.first() {
            Some((i, _)) => *i,
            None => position.unwrap_or(end_index),
        };
        Ok(EventsPage {
            events: selected.into_iter().map(|(_, e)| e.clone()).collect(),
            next_forward: format!("f/{next_forward:056}/s"),
            next_backward: format!("b/{next_backward:056}/s"),
        })
    }

    /// FilterLogEvents over the chosen streams, interleaved by time. The token is the (timestamp, id) of the
    /// last event returned.
    #[allow(clippy::too_many_arguments)]
    pub fn filter_events(
        &self,
        scope: &Scope,
        group: &str,
        stream_names: Option<&[String]>,
        stream_prefix: Option<&str>,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        pattern: Option<&str>,
        token: Option<&str>,
        limit: usize,
    ) -> Result<FilteredPage, LogsError> {
        let filter = FilterPattern::parse(pattern.unwrap_or(""))?;
        let after = match token {
            Some(t) => Some(parse_filter_token(t).ok_or_else(bad_token)?),
            None => None,
        };
        let group = self.group(scope, group)?;
        let streams = group.streams.lock();
        let mut searched = Vec::new();
        let mut matched: Vec<(String, LogEvent)> = Vec::new();
        for (name, data) in streams.iter() {
            if stream_names.is_some_and(|names| !names.iter().any(|n| n == name))
                || stream_prefix.is_some_and(|p| !name.starts_with(p))
            {
                continue;
            }
            searched.push(name.clone());
            for e in &data.events {
                if start_ms.is_some_and(|s| e.timestamp < s)
                    || end_ms.is_some_and(|t| e.timestamp > t)
                    || after.is_some_and(|a| (e.timestamp, e.id) <= a)
                    || !filter.matches(&e.message)
                {
                    continue;
                }
                matched.push((name.clone(), e.clone()));
            }
        }
        matched.sort_by_key(|(_, e)| (e.timestamp, e.id));
        let more = matched.len() > limit;
        matched.truncate(limit);
        let next_token = if more {
            matched
                .last()
                .map(|(_, e)| format!("{}-{}", e.timestamp, e.id))
        } else {
            None
        };
        Ok(FilteredPage {
            events: matched,
            searched,
            next_token,
        })
    }
}

fn parse_events_token(token: &str) -> Option<(char, u64)> {
    let mut parts = token.split('/');
    let dir = match parts.next()? {
        "f" => 'f',
        "b" => 'b',
        _ => return None,
    };
    let index = parts.next()?.parse().ok()?;
    Some((dir, index))
}

fn parse_filter_token(token: &str) -> Option<(i64, u64)> {
    let (ts, id) = token.rsplit_once('-')?;
    Some((ts.parse().ok()?, id.parse().ok()?))
}

/// CloudWatch Logs' term filter patterns: every plain or quoted term must occur, at least one `?term` must
/// occur if any are given, and no `-term` may occur. JSON (`{ $.x = … }`), space-delimited (`[a, b]`) and
/// regular-expression (`%…%`) patterns are refused rather than misread.
struct FilterPattern {
    required: Vec<String>,
    any: Vec<String>,
    excluded: Vec<String>,
}

impl FilterPattern {
    fn parse(text: &str) -> Result<FilterPattern, LogsError> {
        let text = text.trim();
        if text.starts_with('{') || text.starts_with('[') || text.starts_with('%') {
            return Err(LogsError::InvalidParameter(
                "eddy supports term filter patterns only (terms, \"quoted phrases\", ?optional and -excluded terms); JSON, space-delimited and regular-expression patterns are not implemented".into(),
            ));
        }
        let mut pattern = FilterPattern {
            required: Vec::new(),
            any: Vec::new(),
            excluded: Vec::new(),
        };
        let mut chars = text.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '?' | '-' => {
                    chars.next();
                    first
                }
                _ => ' ',
            };
            let mut term = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    term.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    term.push(c);
                    chars.next();
                }
            }
            if term.is_empty() {
                continue;
            }
            match kind {
                '?' => pattern.any.push(term),
                '-' => pattern.excluded.push(term),
                _ => pattern.required.push(term),
            }
        }
        Ok(pattern)
    }

    fn matches(&self, message: &str) -> bool {
        self.required.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.excluded.iter().any(|t| message.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Arc<LogStore>, Scope) {
        (LogStore::new(Arc::new(Clock::new())), Scope::default())
    }

    #[test]
    fn events_page_forward_and_backward() {
        let (logs, scope) = store();
        let w = logs.writer(&scope, "/aws/lambda/f", "s1");
        w.append((0..5).map(|i| format!("line {i}")));
        let page = logs
            .get_events(&scope, "/aws/lambda/f", "s1", None, None, None, 2, false)
            .unwrap();
        let msgs: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, ["line 3", "line 4"]);
        let back = logs
            .get_events(
                &scope,
                "/aws/lambda/f",
                "s1",
                None,
                None,
                Some(&page.next_backward),
                2,
                false,
            )
            .unwrap();
        let msgs: Vec<&str> = back.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, ["line 1", "line 2"]);
        let fwd = logs
            .get_events(
                &scope,
                "/aws/lambda/f",
                "s1",
                None,
                None,
                Some(&page.next_forward),
                10,
                false,
            )
            .unwrap();
        assert!(fwd.events.is_empty());
        assert_eq!(fwd.next_forward, page.next_forward);
        let head = logs
            .get_events(&scope, "/aws/lambda/f", "s1", None, None, None, 2, true)
            .unwrap();
        assert_eq!(head.events[0].message, "line 0");
    }

    #[test]
    fn filter_patterns_select_terms() {
        let (logs, scope) = store();
        logs.writer(&scope, "g", "a")
            .append(["ERROR disk full".to_string(), "INFO ok".to_string()]);
        logs.writer(&scope, "g", "b")
            .append(["WARN slow".to_string(), "ERROR \"quoted\" x".to_string()]);
        let run = |p: &str| {
            logs.filter_events(&scope, "g", None, None, None, None, Some(p), None, 100)
                .unwrap()
                .events
                .into_iter()
                .map(|(_, e)| e.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(run("ERROR disk"), ["ERROR disk full"]);
        assert_eq!(run("?WARN ?INFO").len(), 2);
        assert_eq!(run("ERROR -disk"), ["ERROR \"quoted\" x"]);
        assert_eq!(run("\"disk full\""), ["ERROR disk full"]);
        assert_eq!(run("").len(), 4);
        assert!(
            logs.filter_events(
                &scope,
                "g",
                None,
                None,
                None,
                None,
                Some("{ $.a = 1 }"),
                None,
                1
            )
            .is_err()
        );
        let page = logs
            .filter_events(&scope, "g", None, None, None, None, None, None, 3)
            .unwrap();
        let rest = logs
            .filter_events(
                &scope,
                "g",
                None,
                None,
                None,
                None,
                None,
                page.next_token.as_deref(),
                3,
            )
            .unwrap();
        assert_eq!(page.events.len() + rest.events.len(), 4);
        assert!(rest.next_token.is_none());
    }

    #[test]
    fn missing_groups_and_streams_are_reported() {
        let (logs, scope) = store();
        let err = logs
            .get_events(&scope, "nope", "s", None, None, None, 10, false)
            .unwrap_err();
        assert_eq!(err.message(), "The specified log group does not exist.");
        logs.writer(&scope, "g", "a");
        let err = logs
            .get_events(&scope, "g", "s", None, None, None, 10, false)
            .unwrap_err();
        assert_eq!(err.message(), "The specified log stream does not exist.");
    }

    #[test]
    fn a_deleted_group_comes_back_with_the_next_line() {
        let (logs, scope) = store();
        let writer = logs.writer(&scope, "g", "s");
        logs.delete_group(&scope, "g").unwrap();
        writer.append(["after the delete".to_string()]);
        let page = logs
            .get_events(&scope, "g", "s", None, None, None, 10, true)
            .unwrap();
        let messages: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["after the delete"]);
    }
}
