/**
 * The one composition module of aios: every handler is built here from the ports it needs.
 * AWS entry points (functions/<name>/lambda.ts) call one factory each with AWS adapters; the
 * local runtime calls them with the local adapters and stand-ins. Each factory takes only what
 * its handler uses, so a Lambda bundle holds only that handler's code.
 */
import type { Hono } from 'hono';
import { type ApiRoutesDeps, createApiRoutes } from './api/api-routes.ts';
import { buildRouteApp, type RouteAppOptions, type RouteHandlers } from './api/http.ts';
import { ROUTES, routesOf } from './api/routes.ts';
import { type ApprovalLinkRoutesDeps, createApprovalLinkRoutes } from './approvals/email/link-handler.ts';
import { createSlackInteractionRoutes, type SlackInteractionsDeps } from './approvals/slack/interactions.ts';

/** The operator's API (IAM on AWS): runs, approvals inbox, dead letters, connectors, memory. */
export const createApiApp = (deps: ApiRoutesDeps): Hono =>
  buildRouteApp(routesOf('api'), createApiRoutes(deps));

/** The email magic links (public; the signed token is the credential). */
export const createApprovalLinksApp = (deps: ApprovalLinkRoutesDeps): Hono =>
  buildRouteApp(routesOf('approval-links'), createApprovalLinkRoutes(deps));

/** Slack's interactivity endpoint (public; every request's signature is checked first). */
export const createSlackInteractionsApp = (deps: SlackInteractionsDeps): Hono =>
  buildRouteApp(routesOf('slack-interactions'), createSlackInteractionRoutes(deps));

/** Every route handler of every function, by route id: what the local server serves in one app. */
export type AllRouteHandlers = RouteHandlers<'api'> &
  RouteHandlers<'approval-links'> &
  RouteHandlers<'slack-interactions'> &
  RouteHandlers<'local'>;

/** The whole table in one app (the local server), with the stand-in's own checks before each route. */
export const createLocalHttpApp = (handlers: AllRouteHandlers, options: RouteAppOptions): Hono =>
  buildRouteApp(ROUTES, handlers, options);
