//! Which methods each path answers, read from the OpenAPI document, so a known path asked with
//! another method gets 405 with `Allow` rather than 404.

use actix_web::http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
    /// `{id}.atom`: a parameter and a fixed ending.
    ParamWith(String),
}

/// Path templates and their methods.
#[derive(Debug, Clone, Default)]
pub struct MethodTable {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else if let Some((_, ending)) = s.strip_prefix('{').and_then(|r| r.split_once('}')) {
                Segment::ParamWith(ending.to_owned())
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

impl MethodTable {
    pub fn from_document(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::HEAD, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (segments(template), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods `path` answers to, if it is a known path.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let asked: Vec<&str> = path.split('/').collect();
        let mut found: Vec<Method> = Vec::new();
        for (template, methods) in &self.routes {
            let fits = template.len() == asked.len()
                && template.iter().zip(&asked).all(|(t, a)| match t {
                    Segment::Literal(l) => l == a,
                    Segment::Param => !a.is_empty(),
                    Segment::ParamWith(ending) => a.len() > ending.len() && a.ends_with(ending),
                });
            if fits {
                found.extend(methods.iter().cloned());
            }
        }
        (!found.is_empty()).then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_list_their_methods() {
        let table = MethodTable::from_document(&crate::http::openapi::document(
            crate::http::openapi::LOCAL_BASE_URL,
        ));
        let allowed = table.allowed("/api/v1/recommendations/abc").expect("known");
        assert!(allowed.contains(&Method::GET) && allowed.contains(&Method::PATCH));
        assert!(!allowed.contains(&Method::DELETE));
        assert_eq!(table.allowed("/api/v1/nothing"), None);
        assert!(table.allowed("/api/v1/recommendations.csv").is_some());
        assert_eq!(
            table.allowed("/api/v1/feeds/rtf_x/views/abc.atom"),
            Some(vec![Method::GET, Method::HEAD])
        );
        assert_eq!(table.allowed("/api/v1/feeds/rtf_x/views/.atom"), None);
    }
}
