// A typedoc plugin: every export of every public entry must have a description and an `@example`.
// typedoc's own `notDocumented` check asks for a comment only; this asks for the example too, and
// reports through typedoc's logger so `treatWarningsAsErrors` fails the build.
import { Application, ReflectionKind } from 'typedoc';

/** The comment that documents an export: a function's lives on its signature. */
function commentOf(reflection) {
  return reflection.comment ?? reflection.signatures?.find((signature) => signature.comment)?.comment;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
      if (!commentOf(module)?.summary.some((part) => part.text.trim() !== '')) {
        app.logger.warn(`The entry ${module.name} has no description (a @module comment in its index.ts).`);
      }
      for (const child of module.children ?? []) {
        // A type re-exported by a second entry is documented where it is declared.
        const reflection = child.kindOf(ReflectionKind.Reference) ? child.getTargetReflectionDeep() : child;
        const comment = commentOf(reflection);
        const where = `${module.name}.${child.name}`;
        if (!comment?.summary.some((part) => part.text.trim() !== '')) app.logger.warn(`${where} has no description.`);
        if (!comment?.getTag('@example')) app.logger.warn(`${where} has no @example.`);
      }
    }
  });
}
