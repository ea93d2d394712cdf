"""A small TriG dataset shaped like the real graph: named graphs under
``.../id/graph/``, language-tagged and typed literals, a blank node, and
strings that stress CSV/TSV quoting. ``bulk`` holds enough triples that a
three-way cross join cannot finish within any test time limit."""

from __future__ import annotations

ID = "https://w3id.org/hk-smartcity/id/"
DEF = "https://w3id.org/hk-smartcity/def/"
G_SOURCES = ID + "graph/sources"
G_RECORDS = ID + "graph/records"
G_ONTOLOGY = ID + "graph/ontology"
G_BULK = ID + "graph/bulk"
BULK_SIZE = 300

TRIG = f"""
@prefix hksc: <{DEF}> .
@prefix id: <{ID}> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <http://www.w3.org/ns/org#> .

<{G_ONTOLOGY}> {{
  hksc:Document a owl:Class ; rdfs:label "Document"@en .
  hksc:Programme a owl:Class ; rdfs:label "Programme"@en , "計劃"@zh-Hant .
  hksc:mentions a owl:ObjectProperty ; rdfs:label "mentions"@en .
}}

<{G_SOURCES}> {{
  <{ID}doc/blueprint-2> a hksc:Document ;
    dct:title "Smart City Blueprint for Hong Kong 2.0"@en , "香港智慧城市藍圖2.0"@zh-Hant ;
    dct:issued "2020-12-15"^^xsd:date ;
    dct:publisher <{ID}org/itb> ;
    hksc:pageCount 42 ;
    hksc:mentions <{ID}programme/iamsmart> , <{ID}programme/smart-lamppost> .
  <{ID}doc/legco-paper> a hksc:Document ;
    dct:title "LegCo paper: \\"smart\\" lampposts, progress, and next steps" ;
    dct:issued "2024-07-12"^^xsd:date ;
    dct:description "Line one\\nline two\\twith a tab, and a comma" ;
    hksc:pageCount 7 ;
    hksc:mentions <{ID}programme/iamsmart> .
}}

<{G_RECORDS}> {{
  <{ID}org/itb> a org:Organization ; rdfs:label "Innovation, Technology and Industry Bureau"@en .
  <{ID}org/dpo> a org:Organization ; rdfs:label "Digital Policy Office"@en ;
    org:hasSubOrganization [ rdfs:label "Smart City Division"@en ] .
  <{ID}programme/iamsmart> a hksc:Programme ; rdfs:label "iAM Smart"@en ;
    hksc:launched "2020-12-29"^^xsd:date ; hksc:users 3000000 ; hksc:ledBy <{ID}org/dpo> .
  <{ID}programme/smart-lamppost> a hksc:Programme ;
    rdfs:label "Multi-functional Smart Lampposts"@en ;
    hksc:ledBy <{ID}org/dpo> ; hksc:budget 3.5 .
}}

<{G_BULK}> {{
""" + "".join(f"  <{ID}bulk/{i}> hksc:n {i} .\n" for i in range(BULK_SIZE)) + "}\n"
