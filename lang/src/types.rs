//! Types: the type language, the table of declared types, and subtyping.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::span::Span;

/// Index of a declared (or anonymous record) type in the [`TypeTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

/// A type.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Ty {
    /// The type of an expression that already has an error, or of `[]`: fits anywhere.
    #[default]
    Never,
    /// Schemaless data: reads are allowed; conversions are checked at run time.
    Any,
    /// `null`, the value of an absent field.
    Null,
    /// `bool`.
    Bool,
    /// `int` (a subtype of `float`).
    Int,
    /// `float`.
    Float,
    /// `string`.
    Str,
    /// A string literal type, such as `"Always"`.
    StrLit(Arc<str>),
    /// `list<T>`.
    List(Box<Ty>),
    /// `map<K, V>`.
    Map(Box<Ty>, Box<Ty>),
    /// A declared type, record or kind.
    Named(TypeId),
    /// `T?`.
    Opt(Box<Ty>),
    /// `A | B`.
    Union(Vec<Ty>),
    /// `fn(A) -> R`.
    Fn(Vec<Ty>, Box<Ty>),
    /// The collection of all input documents.
    Inputs,
    /// A type used as a value, e.g. the argument of `all.of(NetworkPolicy)`.
    Type(Box<Ty>),
    /// A type variable of a generic builtin signature.
    Var(u32),
}

impl Ty {
    /// `T?`, without doubling an optional.
    pub fn optional(self) -> Ty {
        match self {
            Ty::Opt(_) | Ty::Null | Ty::Any | Ty::Never => self,
            t => Ty::Opt(Box::new(t)),
        }
    }

    /// Whether a value of this type may be absent.
    pub fn is_optional(&self) -> bool {
        matches!(self, Ty::Opt(_) | Ty::Null)
    }

    /// The type without its optionality.
    pub fn definite(&self) -> Ty {
        match self {
            Ty::Opt(t) => (**t).clone(),
            Ty::Null => Ty::Never,
            t => t.clone(),
        }
    }
}

/// A field of a record type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Its name.
    pub name: Arc<str>,
    /// Its type.
    pub ty: Ty,
    /// True when it may be absent.
    pub optional: bool,
    /// Doc comment lines.
    pub docs: Vec<String>,
}

/// What a declared type is.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeBody {
    /// Not yet resolved (only during checking).
    Pending,
    /// A name for another type.
    Alias(Ty),
    /// A record.
    Record(Vec<FieldDef>),
}

/// How documents of a kind are recognised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Discriminator {
    /// Fields whose string value selects the kind, e.g. `apiVersion = "v1"`, `kind = "Pod"`.
    pub fields: Vec<(Arc<str>, Arc<str>)>,
    /// A loader format that selects the kind, e.g. `dockerfile`.
    pub format: Option<Arc<str>>,
}

/// One declared type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Its name (`Pod`), or a description for anonymous records.
    pub name: String,
    /// The module that declares it.
    pub module: String,
    /// What it is.
    pub body: TypeBody,
    /// For a document kind, how its documents are recognised.
    pub kind: Option<Discriminator>,
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// Where it is declared.
    pub span: Span,
    field_index: HashMap<Arc<str>, usize>,
}

impl TypeDef {
    /// A new definition.
    pub fn new(name: String, module: String, span: Span) -> Self {
        TypeDef {
            name,
            module,
            body: TypeBody::Pending,
            kind: None,
            docs: Vec::new(),
            span,
            field_index: HashMap::new(),
        }
    }

    /// Sets the body, indexing record fields.
    pub fn set_body(&mut self, body: TypeBody) {
        if let TypeBody::Record(fields) = &body {
            self.field_index =
                fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect();
        }
        self.body = body;
    }

    /// The field named `name`, for records.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        match &self.body {
            TypeBody::Record(fields) => fields.get(*self.field_index.get(name)?),
            _ => None,
        }
    }
}

/// All declared types of a program.
#[derive(Debug, Clone, Default)]
pub struct TypeTable {
    defs: Vec<TypeDef>,
}

impl TypeTable {
    /// Adds a definition.
    pub fn add(&mut self, def: TypeDef) -> TypeId {
        self.defs.push(def);
        TypeId(self.defs.len() as u32 - 1)
    }

    /// The definition of `id`.
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        self.defs.get(id.0 as usize)
    }

    /// The definition of `id`, mutably.
    pub fn get_mut(&mut self, id: TypeId) -> Option<&mut TypeDef> {
        self.defs.get_mut(id.0 as usize)
    }

    /// Every definition with its id.
    pub fn iter(&self) -> impl Iterator<Item = (TypeId, &TypeDef)> {
        self.defs.iter().enumerate().map(|(i, d)| (TypeId(i as u32), d))
    }

    /// Unfolds aliases until a non-alias type.
    pub fn resolve(&self, ty: &Ty) -> Ty {
        let mut ty = ty.clone();
        for _ in 0..64 {
            match &ty {
                Ty::Named(id) => match self.get(*id).map(|d| &d.body) {
                    Some(TypeBody::Alias(t)) => ty = t.clone(),
                    _ => return ty,
                },
                _ => return ty,
            }
        }
        ty
    }

    /// The record fields of `ty` when it is (an alias of) a record.
    pub fn record(&self, ty: &Ty) -> Option<(TypeId, &[FieldDef])> {
        match self.resolve(ty) {
            Ty::Named(id) => match &self.get(id)?.body {
                TypeBody::Record(f) => Some((id, f.as_slice())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The document kinds that `ty` stands for: a kind, or a union (alias) of kinds.
    pub fn kinds_of(&self, ty: &Ty) -> Option<Vec<TypeId>> {
        match self.resolve(ty) {
            Ty::Named(id) if self.get(id)?.kind.is_some() => Some(vec![id]),
            Ty::Union(alts) => {
                let mut out = Vec::new();
                for a in &alts {
                    out.extend(self.kinds_of(a)?);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Whether a value of type `from` can be used where `to` is expected.
    pub fn assignable(&self, from: &Ty, to: &Ty) -> bool {
        self.sub(from, to, &mut HashSet::new())
    }

    fn sub(&self, from: &Ty, to: &Ty, seen: &mut HashSet<(TypeId, TypeId)>) -> bool {
        use Ty::*;
        if from == to {
            return true;
        }
        match (from, to) {
            (Never, _) | (_, Any) | (Any, _) => true,
            (Named(a), Named(b)) => self.sub_named(*a, *b, seen),
            // Unfold aliases; a record (which does not unfold) goes on to the arms below, so
            // that a `Pod` fits `Pod | Deployment` and `Pod?`.
            (Named(_), _) | (_, Named(_))
                if self.resolve(from) != *from || self.resolve(to) != *to =>
            {
                self.sub(&self.resolve(from), &self.resolve(to), seen)
            }
            (Union(alts), _) => alts.iter().all(|a| self.sub(a, to, seen)),
            (_, Union(alts)) => alts.iter().any(|b| self.sub(from, b, seen)),
            (Null, Opt(_)) => true,
            (Opt(a), Opt(b)) => self.sub(a, b, seen),
            (_, Opt(b)) => self.sub(from, b, seen),
            (StrLit(_), Str) | (Int, Float) => true,
            (List(a), List(b)) => self.sub(a, b, seen),
            (Map(ka, va), Map(kb, vb)) => self.sub(ka, kb, seen) && self.sub(va, vb, seen),
            (Fn(pa, ra), Fn(pb, rb)) => {
                pa.len() == pb.len()
                    && pa.iter().zip(pb).all(|(a, b)| self.sub(b, a, seen))
                    && self.sub(ra, rb, seen)
            }
            (Type(a), Type(b)) => self.sub(a, b, seen),
            _ => false,
        }
    }

    /// Structural width subtyping between records; assumes success on cycles.
    fn sub_named(&self, a: TypeId, b: TypeId, seen: &mut HashSet<(TypeId, TypeId)>) -> bool {
        if a == b || !seen.insert((a, b)) {
            return true;
        }
        let (Some(da), Some(db)) = (self.get(a), self.get(b)) else { return false };
        match (&da.body, &db.body) {
            (TypeBody::Alias(t), _) => self.sub(&t.clone(), &Ty::Named(b), seen),
            (_, TypeBody::Alias(t)) => self.sub(&Ty::Named(a), &t.clone(), seen),
            (TypeBody::Record(_), TypeBody::Record(fb)) => {
                if da.kind.is_some() && db.kind.is_some() {
                    return false;
                }
                fb.iter().all(|f| match da.field(&f.name) {
                    Some(fa) => (f.optional || !fa.optional) && self.sub(&fa.ty, &f.ty, seen),
                    None => f.optional,
                })
            }
            _ => false,
        }
    }

    /// The least type covering both `a` and `b` (a union when nothing smaller fits).
    pub fn join(&self, a: &Ty, b: &Ty) -> Ty {
        if self.assignable(a, b) && !matches!(a, Ty::Any) {
            return b.clone();
        }
        if self.assignable(b, a) && !matches!(b, Ty::Any) {
            return a.clone();
        }
        match (a, b) {
            (Ty::Null, t) | (t, Ty::Null) => t.clone().optional(),
            (Ty::Opt(x), y) | (y, Ty::Opt(x)) => self.join(x, y).optional(),
            (Ty::StrLit(_), Ty::Str) | (Ty::Str, Ty::StrLit(_)) => Ty::Str,
            (Ty::List(x), Ty::List(y)) => Ty::List(Box::new(self.join(x, y))),
            _ => {
                let mut alts = Vec::new();
                for t in [a, b] {
                    match t {
                        Ty::Union(ts) => alts.extend(ts.iter().cloned()),
                        t => alts.push(t.clone()),
                    }
                }
                alts.dedup();
                Ty::Union(alts)
            }
        }
    }

    /// A displayable form of `ty`.
    pub fn show<'a>(&'a self, ty: &'a Ty) -> Show<'a> {
        Show { table: self, ty }
    }
}

/// Displays a type with declared names.
pub struct Show<'a> {
    table: &'a TypeTable,
    ty: &'a Ty,
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |t| self.table.show(t);
        match self.ty {
            Ty::Never => write!(f, "never"),
            Ty::Any => write!(f, "any"),
            Ty::Null => write!(f, "null"),
            Ty::Bool => write!(f, "bool"),
            Ty::Int => write!(f, "int"),
            Ty::Float => write!(f, "float"),
            Ty::Str => write!(f, "string"),
            Ty::StrLit(s) => write!(f, "{s:?}"),
            Ty::List(t) => write!(f, "list<{}>", show(t)),
            Ty::Map(k, v) => write!(f, "map<{}, {}>", show(k), show(v)),
            Ty::Named(id) => match self.table.get(*id) {
                Some(d) => write!(f, "{}", d.name),
                None => write!(f, "?"),
            },
            Ty::Opt(t) if matches!(**t, Ty::Union(_) | Ty::Fn(..)) => write!(f, "({})?", show(t)),
            Ty::Opt(t) => write!(f, "{}?", show(t)),
            Ty::Union(ts) => {
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, " | ")?;
                    }
                    write!(f, "{}", show(t))?;
                }
                Ok(())
            }
            Ty::Fn(ps, r) => {
                write!(f, "fn(")?;
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", show(p))?;
                }
                write!(f, ") -> {}", show(r))
            }
            Ty::Inputs => write!(f, "Inputs"),
            Ty::Type(t) => write!(f, "type {}", show(t)),
            Ty::Var(i) => {
                write!(f, "{}", ["T", "U", "V", "W"].get(*i as usize).copied().unwrap_or("T"))
            }
        }
    }
}
