/* pktcapture--1.4--1.5.sql: placeholder (the lead's script replaces it) */

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.5'" to load this file. \quit
